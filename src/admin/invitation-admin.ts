import type { Invitation, InvitationStore } from '../auth/invitation-store.js'
import type { Role, User, UserStore } from '../auth/user-store.js'
import { AppError, NotFoundError } from '../errors/app-error.js'
import type { Mailer } from '../mail/mailer.js'
import { inviteMail, mailLanguage } from '../mail/messages.js'
import type { TenantStore } from '../tenants/tenant-store.js'

/** What became of an invitation's link: mailed, or to be passed on by the admin. */
export interface Sent {
  invitation: Invitation
  /** Set when the link was not mailed (no SMTP, or the mail failed): the admin passes it on. */
  link?: string
  mailFailed?: boolean
}

/** Invitations of the admin's own tenant: send, resend, cancel. */
export class InvitationAdmin {
  constructor(
    private readonly deps: {
      invitations: InvitationStore
      users: UserStore
      tenants: TenantStore
      mailer: Mailer
      baseUrl: string
      onMailFailed: (err: unknown) => void
    },
  ) {}

  list(tenantId: string): Promise<Invitation[]> {
    return this.deps.invitations.list(tenantId)
  }

  /** `conflict` when the address already has an account (said to the admin, nobody else). */
  async invite(admin: User, email: string, role: Role): Promise<Sent> {
    if (await this.deps.users.findForLogin(email))
      throw new AppError('conflict', `${email} already has an account.`, { status: 409 })
    const { invitation, token } = await this.deps.invitations.create({
      tenantId: admin.tenantId,
      email,
      role,
      invitedBy: admin.email,
    })
    return this.deliver(admin, invitation, token)
  }

  async resend(admin: User, id: string): Promise<Sent> {
    const issued = await this.deps.invitations.resend(admin.tenantId, id)
    if (!issued) throw new NotFoundError('No such pending invitation.')
    return this.deliver(admin, issued.invitation, issued.token)
  }

  async cancel(admin: User, id: string): Promise<Invitation> {
    const cancelled = await this.deps.invitations.cancel(admin.tenantId, id)
    if (!cancelled) throw new NotFoundError('No such pending invitation.')
    return cancelled
  }

  private async deliver(admin: User, invitation: Invitation, token: string): Promise<Sent> {
    const link = `${this.deps.baseUrl}/invite/${token}`
    const org = (await this.deps.tenants.get(admin.tenantId))?.name ?? admin.tenantId
    // The invitee has no language yet: the inviting admin's choice stands in.
    const lang = mailLanguage(admin.language)
    const mail = inviteMail(invitation.email, link, org, invitation.role, admin.email, lang)
    try {
      if (await this.deps.mailer.send(mail)) return { invitation }
      return { invitation, link }
    } catch (err) {
      this.deps.onMailFailed(err)
      return { invitation, link, mailFailed: true }
    }
  }
}
