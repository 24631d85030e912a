import type { MailMessage } from './mailer.js'
import { DEFAULT_LANGUAGE, isLanguage, translator, type Language } from '../i18n/catalogue.js'

// Each mail is written in its reader's language: their own choice when they have an account
// and made one, else the language of the request that caused it.

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** A text and an HTML part from the same paragraphs; a link gets its own line and anchor. */
function compose(
  lang: Language,
  to: string,
  subject: string,
  paragraphs: string[],
  link?: string,
): MailMessage {
  const signature = translator(lang)('mail:signature')
  const text = [...paragraphs, ...(link ? [link] : []), signature].join('\n\n')
  const html = [
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`] : []),
    `<p>${escapeHtml(signature)}</p>`,
  ].join('\n')
  return { to, subject, text, html }
}

/** The language for a mail: a stored choice if any, else the asking request's. */
export function mailLanguage(...candidates: unknown[]): Language {
  return candidates.find(isLanguage) ?? DEFAULT_LANGUAGE
}

export function resetMail(to: string, link: string, lang: Language = DEFAULT_LANGUAGE): MailMessage {
  const t = translator(lang)
  return compose(lang, to, t('mail:reset.subject'), [t('mail:reset.asked'), t('mail:reset.open')], link)
}

/** A reset asked for by a person whose organisation signs in with single sign-on only: no link. */
export function ssoOnlyResetMail(
  to: string,
  baseUrl: string,
  lang: Language = DEFAULT_LANGUAGE,
): MailMessage {
  const t = translator(lang)
  return compose(
    lang,
    to,
    t('mail:ssoOnly.subject'),
    [t('mail:reset.asked'), t('mail:ssoOnly.noPassword')],
    `${baseUrl}/login`,
  )
}

export function inviteMail(
  to: string,
  link: string,
  org: string,
  role: string,
  by: string,
  lang: Language = DEFAULT_LANGUAGE,
): MailMessage {
  const t = translator(lang)
  const roleName = t(`common:layout.role.${role}`)
  return compose(
    lang,
    to,
    t('mail:invite.subject', { org }),
    [t('mail:invite.invited', { by, org, role: roleName }), t('mail:invite.open')],
    link,
  )
}

/** Sign-up with an address that already has an account: only its owner learns so. */
export function signupExistsMail(
  to: string,
  baseUrl: string,
  lang: Language = DEFAULT_LANGUAGE,
): MailMessage {
  const t = translator(lang)
  return compose(
    lang,
    to,
    t('mail:exists.subject'),
    [t('mail:exists.tried'), t('mail:exists.signIn')],
    `${baseUrl}/forgot`,
  )
}

/**
 * An invitation to an address that already has an account: its owner learns so (the admin
 * who sent it does not), with nothing the inviting organisation wrote.
 */
export function inviteExistsMail(
  to: string,
  baseUrl: string,
  lang: Language = DEFAULT_LANGUAGE,
): MailMessage {
  const t = translator(lang)
  return compose(
    lang,
    to,
    t('mail:exists.subject'),
    [t('mail:exists.invited'), t('mail:exists.signInAsUsual')],
    `${baseUrl}/forgot`,
  )
}

/** Support asks a connection's owner to reconnect it (the link works 72 hours). */
export function reconnectMail(
  to: string,
  link: string,
  what: { provider: string; account: string; by: string; shared?: boolean },
  lang: Language = DEFAULT_LANGUAGE,
): MailMessage {
  const t = translator(lang)
  // An organisation's shared connection goes to its admins: it is theirs to reconnect.
  const why = what.shared ? 'mail:reconnectShared.why' : 'mail:reconnect.why'
  return compose(
    lang,
    to,
    t('mail:reconnect.subject', { provider: what.provider }),
    [t(why, what), t('mail:reconnect.open', { provider: what.provider })],
    link,
  )
}
