import type { RedisClient } from '../redis/client.js'
import { emailChangeKey } from '../redis/data-keys.js'
import { digestOf, LINK_TOKEN, newLinkToken } from '../auth/link-token.js'
import { normaliseEmail, type User, type UserStore } from '../auth/user-store.js'
import type { Mailer, MailMessage } from '../mail/mailer.js'
import { mailLanguage } from '../mail/messages.js'
import { translator, type Language } from '../i18n/catalogue.js'
import type { ConnectionRef, ConnectionStore } from '../connections/connection-store.js'
import { PROVIDER_IDS } from '../providers/types.js'

const LINK_TTL_SEC = 24 * 3600

/** What shows a person's email beside their connections, to be told when it changes. */
export interface EmailShownBy {
  store: Pick<ConnectionStore, 'summaries'>
  /** The support console finds a connection by its owner's email (support/). */
  supportIndex: {
    indexAccount(ref: ConnectionRef, account: { accountLabel: string; name?: string }): Promise<void>
  }
  /** The connection's kept API answers carry the owner's email (connections/kept-read.ts). */
  kept: { restamp(ref: ConnectionRef): Promise<void> }
}

/**
 * Changing a person's email: a link to the new address confirms it (the change happens only
 * then, and only if no account has the address by that time); the old address is told.
 */
export class EmailChange {
  constructor(
    private readonly deps: EmailShownBy & {
      redis: RedisClient
      users: UserStore
      mailer: Mailer
      baseUrl: string
    },
  ) {}

  /** Mails the confirmation link; 'taken' when an account has the address already. */
  async request(user: User, rawEmail: string, lang: Language): Promise<'sent' | 'taken' | 'same'> {
    const email = normaliseEmail(rawEmail)
    if (email === user.email) return 'same'
    if (await this.deps.users.findForLogin(email)) return 'taken'
    const { token, digest } = newLinkToken()
    const pending = JSON.stringify({ tenantId: user.tenantId, userId: user.id, from: user.email, email })
    await this.deps.redis.set(emailChangeKey(digest), pending, 'EX', LINK_TTL_SEC)
    const link = `${this.deps.baseUrl}/account/email/confirm/${token}`
    const l = mailLanguage(user.language, lang)
    const t = translator(l)
    await this.deps.mailer.send(
      mail(email, t('data:mail.confirmSubject'), t('data:mail.confirmBody', { link }), l),
    )
    await this.deps.mailer.send(
      mail(user.email, t('data:mail.noticeSubject'), t('data:mail.noticeBody', { email }), l),
    )
    return 'sent'
  }

  /** Whether the link is live (the confirmation page). */
  async pending(token: string): Promise<boolean> {
    return LINK_TOKEN.test(token) && (await this.deps.redis.exists(emailChangeKey(digestOf(token)))) === 1
  }

  /** Uses the link up: the new email, or undefined when the link or the address is no longer good. */
  async confirm(token: string): Promise<string | undefined> {
    if (!LINK_TOKEN.test(token)) return undefined
    const raw = await this.deps.redis.getdel(emailChangeKey(digestOf(token)))
    if (!raw) return undefined
    const p = JSON.parse(raw) as { tenantId: string; userId: string; from: string; email: string }
    const user = await this.deps.users.get(p.tenantId, p.userId)
    // The account changed its email meanwhile (another link): this one is stale.
    if (!user || user.email !== p.from) return undefined
    if (!(await this.deps.users.changeEmail(user, p.email))) return undefined
    await this.followMove(user)
    return p.email
  }

  /** The person's own connections: indexed under the new email, their kept answers retired. */
  private async followMove(user: User): Promise<void> {
    const { store, supportIndex, kept } = this.deps
    const refs = PROVIDER_IDS.map((provider) => ({ tenantId: user.tenantId, userId: user.id, provider }))
    // Their names from the records' summaries: one read, no token unsealed.
    const summaries = await store.summaries(refs)
    const follow = async (ref: ConnectionRef, i: number) => {
      const summary = summaries[i]
      if (!summary) return
      await supportIndex.indexAccount(ref, { accountLabel: summary.accountLabel, name: summary.name })
      await kept.restamp(ref)
    }
    await Promise.all(refs.map(follow))
  }
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

function mail(to: string, subject: string, body: string, lang: Language): MailMessage {
  const text = `${body}\n\n${translator(lang)('mail:signature')}`
  const html = text
    .split('\n\n')
    .map((p) => `<p>${escapeHtml(p)}</p>`)
    .join('\n')
  return { to, subject, text, html }
}
