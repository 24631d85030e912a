import { Router, type Request, type RequestHandler } from 'express'
import type { TFunction } from 'i18next'
import { formatterFor, type Formatter } from './format.js'
import {
  DEFAULT_LANGUAGE,
  isLanguage,
  LANGUAGE_NAMES,
  LANGUAGES,
  phraseTranslator,
  translator,
  type Language,
} from './catalogue.js'
import { chooseLanguage } from './negotiate.js'

/** The footer switcher's choice for people not signed in: a plain cookie, no session needed. */
export const LANGUAGE_COOKIE = 'sb.lang'
const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000

export interface Locale {
  lang: Language
  t: TFunction
  fmt: Formatter
  /** A provider's own English phrase (a panel title, a column) in the reader's language. */
  tp: (phrase: string) => string
}

const LOCALE = Symbol('locale')
type WithLocale = Request & { [LOCALE]?: Locale }

/** What a signed-in person chose on /account (the user hash's `language` and `timeZone`). */
export interface Preferences {
  language?: string
  timeZone?: string
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return v.join('=')
  }
  return undefined
}

/** The footer switcher's language, when the browser carries one. */
export function switcherChoice(req: Request): Language | undefined {
  const lang = readCookie(req, LANGUAGE_COOKIE)
  return isLanguage(lang) ? lang : undefined
}

/** The footer switcher's choices, the same for every page. */
const SWITCHER = Object.freeze(LANGUAGES.map((code) => Object.freeze({ code, name: LANGUAGE_NAMES[code] })))

function apply(req: Request, res: Parameters<RequestHandler>[1], lang: Language, timeZone?: string): void {
  const t = translator(lang)
  const locale: Locale = { lang, t, fmt: formatterFor(lang, timeZone), tp: phraseTranslator(lang) }
  ;(req as WithLocale)[LOCALE] = locale
  Object.assign(res.locals, locale, { languages: SWITCHER })
  res.locals.pagePath = req.originalUrl
  res.setHeader('Content-Language', lang)
}

/**
 * Picks the language of the answer before anything can fail: the switcher's cookie, else
 * `Accept-Language`, else English. `t`, `fmt` and `lang` go to every view through res.locals.
 */
export const localize: RequestHandler = (req, res, next) => {
  res.vary('Accept-Language')
  res.vary('Cookie')
  apply(
    req,
    res,
    chooseLanguage({ cookie: readCookie(req, LANGUAGE_COOKIE), acceptLanguage: req.get('accept-language') }),
  )
  next()
}

/**
 * Once the user is loaded: a signed-in person's own choice wins, else `Accept-Language`
 * (the cookie is the signed-out switcher's; the dashboard's page cache keys on the same two).
 */
export function preferPerson(person: (req: Request) => Preferences | undefined): RequestHandler {
  return (req, res, next) => {
    const p = person(req)
    if (p) applyPreferences(req, res, p)
    next()
  }
}

/** A signed-in person's language (theirs, else the header's) and time zone for this answer. */
export function applyPreferences(req: Request, res: Parameters<RequestHandler>[1], p: Preferences): Locale {
  apply(req, res, personLanguage(req, p.language), p.timeZone)
  return localeOf(req)
}

/** The language a signed-in person's pages are in: the dashboard's page cache keys on it too. */
export function personLanguage(req: Request, chosen: unknown): Language {
  return chooseLanguage({ chosen, acceptLanguage: req.get('accept-language') })
}

/** The request's language, `t` and formatter; English when `localize` has not run. */
export function localeOf(req: Request): Locale {
  const found = (req as WithLocale)[LOCALE]
  if (found) return found
  const t = translator(DEFAULT_LANGUAGE)
  return {
    lang: DEFAULT_LANGUAGE,
    t,
    fmt: formatterFor(DEFAULT_LANGUAGE),
    tp: phraseTranslator(DEFAULT_LANGUAGE),
  }
}

/** The request's `t`, for flash and validation messages in route handlers. */
export function tOf(req: Request): TFunction {
  return localeOf(req).t
}

// Only a path on this site: no scheme, no `//host`, no backslash tricks.
const SAFE_NEXT = /^\/(?![/\\])[\x21-\x7e]{0,500}$/

/** `GET /language/:lang?next=/path`: the footer switcher; sets the cookie and goes back. */
export function languageRoutes(opts: { secure: boolean }): Router {
  const r = Router()
  r.get('/language/:lang', (req, res) => {
    const lang = req.params.lang
    const next = typeof req.query.next === 'string' && SAFE_NEXT.test(req.query.next) ? req.query.next : '/'
    if (!isLanguage(lang)) return res.redirect(303, next)
    res.cookie(LANGUAGE_COOKIE, lang, {
      httpOnly: true,
      sameSite: 'lax',
      secure: opts.secure,
      maxAge: ONE_YEAR_MS,
      path: '/',
    })
    res.redirect(303, next)
  })
  return r
}
