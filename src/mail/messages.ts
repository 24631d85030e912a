import type { MailMessage } from './mailer.js'

// English only for now; once languages land, each builder takes the person's language.

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** A text and an HTML part from the same paragraphs; a link gets its own line and anchor. */
function compose(to: string, subject: string, paragraphs: string[], link?: string): MailMessage {
  const text = [...paragraphs, ...(link ? [link] : []), '— Switchboard'].join('\n\n')
  const html = [
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`] : []),
    '<p>— Switchboard</p>',
  ].join('\n')
  return { to, subject, text, html }
}

export function resetMail(to: string, link: string): MailMessage {
  return compose(
    to,
    'Reset your Switchboard password',
    [
      'Someone (we hope you) asked to reset the password of your Switchboard account.',
      'Open this link within 30 minutes to set a new password. It works once; every session of your account ends when you use it. If you did not ask, ignore this mail: your password stays as it is.',
    ],
    link,
  )
}

export function inviteMail(to: string, link: string, org: string, role: string, by: string): MailMessage {
  return compose(
    to,
    `You are invited to ${org} on Switchboard`,
    [
      `${by} invited you to join ${org} on Switchboard as ${role}.`,
      'Open this link within 7 days to choose your password and sign in. It works once.',
    ],
    link,
  )
}

/** Sign-up with an address that already has an account: only its owner learns so. */
export function signupExistsMail(to: string, baseUrl: string): MailMessage {
  return compose(
    to,
    'Your Switchboard account',
    [
      'Someone tried to create a new Switchboard organisation with this address, which already has an account.',
      'If it was you, sign in instead; if you forgot your password, reset it here:',
    ],
    `${baseUrl}/forgot`,
  )
}
