import { createInstance, type Resource, type TFunction } from 'i18next'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { LOCALES_DIR } from '../config/paths.js'

/** The languages every page, message and mail exists in (issue 18); English is the default. */
export const LANGUAGES = ['en', 'de'] as const
export type Language = (typeof LANGUAGES)[number]
export const DEFAULT_LANGUAGE: Language = 'en'

/** Each language's name in itself, for the switcher and the /account choice. */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', de: 'Deutsch' }

export function isLanguage(v: unknown): v is Language {
  return typeof v === 'string' && (LANGUAGES as readonly string[]).includes(v)
}

/** Every catalogue under `dir`: one JSON file per namespace (feature room) and language. */
export function loadResources(dir = LOCALES_DIR): Resource {
  const resources: Resource = {}
  for (const lang of LANGUAGES) {
    resources[lang] = {}
    for (const file of readdirSync(path.join(dir, lang)).filter((f) => f.endsWith('.json'))) {
      const text = readFileSync(path.join(dir, lang, file), 'utf8')
      resources[lang]![path.basename(file, '.json')] = JSON.parse(text) as Record<string, unknown>
    }
  }
  return resources
}

/** Keys asked for that neither catalogue has; the key test renders every view and expects none. */
export const missingKeys = new Set<string>()

const resources = loadResources()
const i18n = createInstance()
// Loaded once at start-up from the files (read synchronously, so `t` works at import time):
// no backend plugin, no request-time file access.
void i18n.init({
  resources,
  lng: DEFAULT_LANGUAGE,
  supportedLngs: [...LANGUAGES],
  fallbackLng: DEFAULT_LANGUAGE,
  ns: Object.keys(resources[DEFAULT_LANGUAGE] ?? {}),
  defaultNS: 'common',
  initImmediate: false,
  returnNull: false,
  // EJS's `<%=` escapes on output and mails escape their HTML part themselves: escaping
  // here too would show `&amp;` to people.
  interpolation: { escapeValue: false },
  saveMissing: true,
  saveMissingTo: 'current',
  missingKeyHandler: (lngs, ns, key) => void missingKeys.add(`${lngs.join(',')}:${ns}:${key}`),
})

const fixed = new Map<Language, TFunction>()

/** The `t` of one language. */
export function translator(lang: Language): TFunction {
  let t = fixed.get(lang)
  if (!t) fixed.set(lang, (t = remembering(lang, i18n.getFixedT(lang))))
  return t
}

/**
 * A page asks for hundreds of plain labels (no values to put in), and i18next resolves each
 * one anew (namespaces, fallbacks, plurals, post-processing): the catalogues never change
 * after start-up, so a plain label's text is kept per language once found. Calls with
 * options, and keys not in the catalogue (still reported as missing each time), go to i18next.
 */
function remembering(lang: Language, t: TFunction): TFunction {
  const known = new Map<string, string>()
  const remembered = (key: unknown, ...rest: unknown[]): unknown => {
    if (rest.length > 0 || typeof key !== 'string')
      return (t as unknown as (...a: unknown[]) => unknown)(key, ...rest)
    const hit = known.get(key)
    if (hit !== undefined) return hit
    const text = t(key)
    if (typeof text === 'string' && i18n.exists(key, { lng: lang })) known.set(key, text)
    return text
  }
  return remembered as unknown as TFunction
}

const PHRASE = { ns: 'providers', keySeparator: false, nsSeparator: false } as const
const phraseBooks = new Map<Language, (phrase: string) => string>()

/**
 * Providers describe their panels in English (providers/ knows no reader); the `providers`
 * catalogue maps each phrase, keyed by itself, to the reader's language. Data from the
 * provider (names, numbers) is not in it and shows as it is. A table asks for its column
 * names once per cell, so a phrase the catalogue has is kept per language once found.
 */
export function phraseTranslator(lang: Language): (phrase: string) => string {
  let book = phraseBooks.get(lang)
  if (book) return book
  const t = translator(lang)
  const known = new Map<string, string>()
  book = (phrase) => {
    if (!phrase) return phrase
    const hit = known.get(phrase)
    if (hit !== undefined) return hit
    const text = t(phrase, { ...PHRASE, defaultValue: phrase })
    if (i18n.exists(phrase, { ...PHRASE, lng: lang })) known.set(phrase, text)
    return text
  }
  phraseBooks.set(lang, book)
  return book
}
