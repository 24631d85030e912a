import { DEFAULT_LANGUAGE, isLanguage, type Language } from './catalogue.js'

/**
 * The best of our languages for an `Accept-Language` header (RFC 9110 §12.5.4): ranges by
 * q-value, highest first (ties keep their order), `de-AT` counts as `de`, `q=0` means "not
 * this one"; undefined when none fits.
 */
export function fromAcceptLanguage(header: string | undefined): Language | undefined {
  if (!header) return undefined
  const ranges = header
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';')
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/i.exec(p)?.[1]).find(Boolean)
      return { base: tag.trim().toLowerCase().split('-')[0], q: q === undefined ? 1 : Number(q), i }
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
  return ranges.map((r) => r.base).find(isLanguage)
}

/** The person's stored choice, else the cookie (signed out only), else the header, else English. */
export function chooseLanguage(opts: {
  chosen?: unknown
  cookie?: unknown
  acceptLanguage?: string
}): Language {
  if (isLanguage(opts.chosen)) return opts.chosen
  if (isLanguage(opts.cookie)) return opts.cookie
  return fromAcceptLanguage(opts.acceptLanguage) ?? DEFAULT_LANGUAGE
}
