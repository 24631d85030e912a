import type { Invitation, InvitationStore } from '../auth/invitation-store.js'
import { TooManyInvites, type InviteLimiter } from '../auth/invite-limiter.js'
import { normaliseEmail, type Role, type User, type UserStore } from '../auth/user-store.js'
import { NotFoundError } from '../errors/app-error.js'
import type { Mailer } from '../mail/mailer.js'
import { inviteExistsMail, inviteMail, mailLanguage } from '../mail/messages.js'
import type { TenantStore } from '../tenants/tenant-store.js'

/** What became of an invitation's link: mailed, or to be passed on by the admin. */
export interface Sent {
  invitation: Invitation
  /** Set when the link was not mailed (no SMTP, or the mail failed): the admin passes it on. */
  link?: string
  mailFailed?: boolean
  /** The role of the pending invitation this one replaced, when it differed (said to the admin). */
  roleWas?: Role
}

/** Invitations of the admin's own tenant: send, resend, cancel. */
export class InvitationAdmin {
  constructor(
    private readonly deps: {
      invitations: InvitationStore
      users: UserStore
      tenants: TenantStore
      mailer: Mailer
      limiter: InviteLimiter
      baseUrl: string
      onMailFailed: (err: unknown) => void
    },
  ) {}

  list(tenantId: string): Promise<Invitation[]> {
    return this.deps.invitations.list(tenantId)
  }

  /**
   * The same for every address, so the form tells nobody whether an address has an
   * account: an address that has one gets a note mailed to its owner instead of the link.
   * Counted by the invite limiter (TooManyInvites).
   */
  async invite(admin: User, email: string, role: Role): Promise<Sent> {
    await this.count(admin)
    const pending = await this.deps.invitations.list(admin.tenantId)
    const replaced = pending.find((i) => i.email === normaliseEmail(email))
    const { invitation, token } = await this.deps.invitations.create({
      tenantId: admin.tenantId,
      email,
      role,
      invitedBy: admin.email,
    })
    const sent = await this.deliver(admin, invitation, token)
    return replaced && replaced.role !== invitation.role ? { ...sent, roleWas: replaced.role } : sent
  }

  async resend(admin: User, id: string): Promise<Sent> {
    await this.count(admin)
    const issued = await this.deps.invitations.resend(admin.tenantId, id)
    if (!issued) throw new NotFoundError('No such pending invitation.')
    return this.deliver(admin, issued.invitation, issued.token)
  }

  async cancel(admin: User, id: string): Promise<Invitation> {
    const cancelled = await this.deps.invitations.cancel(admin.tenantId, id)
    if (!cancelled) throw new NotFoundError('No such pending invitation.')
    return cancelled
  }

  /** One more person invited or added by this admin, or TooManyInvites. */
  private async count(admin: User): Promise<void> {
    const createdAt = (await this.deps.tenants.get(admin.tenantId))?.createdAt ?? Date.now()
    const refusal = await this.deps.limiter.consume(admin.tenantId, admin.id, createdAt)
    if (refusal) throw new TooManyInvites(refusal)
  }

  private async deliver(admin: User, invitation: Invitation, token: string): Promise<Sent> {
    const link = `${this.deps.baseUrl}/invite/${token}`
    const org = (await this.deps.tenants.get(admin.tenantId))?.name ?? admin.tenantId
    const owner = await this.deps.users.findForLogin(invitation.email)
    // The invitee has no language yet: the inviting admin's choice stands in. An address
    // that has an account gets a note in its owner's language, with no link, no name of the
    // organisation and no inviter (nothing a stranger wrote), and the admin sees the same.
    const lang = mailLanguage(owner?.user.language, admin.language)
    const mail = owner
      ? inviteExistsMail(invitation.email, this.deps.baseUrl, lang)
      : inviteMail(invitation.email, link, org, invitation.role, admin.email, lang)
    try {
      if (await this.deps.mailer.send(mail)) return { invitation }
      return { invitation, link }
    } catch (err) {
      this.deps.onMailFailed(err)
      return { invitation, link, mailFailed: true }
    }
  }
}
