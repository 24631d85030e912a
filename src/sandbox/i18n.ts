import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Request } from 'express'
import { createInstance, type TFunction } from 'i18next'
import { LOCALES_DIR } from '../config/paths.js'

/**
 * The sandbox stands in for the providers' own sites, which know nothing of a Switchboard
 * user: its pages follow the browser's `Accept-Language` alone (issue 18). Its catalogue is
 * the `sandbox` namespace beside the app's; it keeps its own i18next instance so it stays
 * apart from the product (.dependency-cruiser.js, sandbox-stays-apart).
 */
const LANGUAGES = ['en', 'de'] as const
type Language = (typeof LANGUAGES)[number]

const i18n = createInstance()
void i18n.init({
  resources: Object.fromEntries(
    LANGUAGES.map((lang) => [
      lang,
      { sandbox: JSON.parse(readFileSync(path.join(LOCALES_DIR, lang, 'sandbox.json'), 'utf8')) as object },
    ]),
  ),
  lng: 'en',
  fallbackLng: 'en',
  ns: ['sandbox'],
  defaultNS: 'sandbox',
  initImmediate: false,
  interpolation: { escapeValue: false },
})

function pick(header: string | undefined): Language {
  const ranges = (header ?? '')
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';')
      const q = Number(/q=([\d.]+)/.exec(params.join(';'))?.[1] ?? 1)
      return { base: tag.trim().toLowerCase().split('-')[0] ?? '', q: Number.isFinite(q) ? q : 0, i }
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
  return (
    (ranges.map((r) => r.base).find((b) => (LANGUAGES as readonly string[]).includes(b)) as Language) ?? 'en'
  )
}

const LOCALES: Record<Language, string> = { en: 'en-GB', de: 'de-DE' }

/** The page's language, its `t`, and euros as that language writes them (4 decimals, as before). */
export function sandboxLocale(req: Request | undefined): {
  lang: Language
  t: TFunction
  euro: (amount: string | number) => string
} {
  const lang = pick(req?.get('accept-language'))
  const euro = (amount: string | number) =>
    lang === 'en'
      ? `${amount} EUR`
      : new Intl.NumberFormat(LOCALES[lang], {
          style: 'currency',
          currency: 'EUR',
          minimumFractionDigits: 4,
        }).format(Number(amount))
  return { lang, t: i18n.getFixedT(lang), euro }
}
