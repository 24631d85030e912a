import type { AccountService } from '../auth/account-service.js'
import type { SessionIndex } from '../auth/session-index.js'
import type { LoginLimiter } from '../auth/login-limiter.js'
import type { Role, User, UserQuery, UserStore } from '../auth/user-store.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import { AppError, NotFoundError } from '../errors/app-error.js'

/** Adding, re-roling and removing a tenant's users, always within the admin's own tenant. */
export class UserAdmin {
  constructor(
    private readonly deps: {
      accounts: AccountService
      users: UserStore
      sessions: SessionIndex
      lifecycle: ConnectionLifecycle
      limiter: LoginLimiter
    },
  ) {}

  /** One page of the tenant's users and how many matched in all. */
  page(tenantId: string, query: UserQuery): Promise<{ users: User[]; total: number }> {
    return this.deps.users.page(tenantId, query)
  }

  /** Clears the user's sign-in locks from every network. */
  async unlock(admin: User, userId: string): Promise<User> {
    const target = await this.target(admin, userId)
    await this.deps.limiter.unlock(target.email)
    return target
  }

  add(admin: User, input: { email: string; password: string; role: Role }): Promise<User> {
    return this.deps.accounts.addUser({ tenantId: admin.tenantId, ...input })
  }

  async setRole(admin: User, userId: string, role: Role): Promise<User> {
    const target = await this.target(admin, userId)
    // An admin who demotes themselves could leave the tenant with nobody to administer it.
    if (target.id === admin.id)
      throw new AppError('forbidden', 'You cannot change your own role.', { status: 403 })
    await this.deps.users.setRole(admin.tenantId, userId, role)
    return { ...target, role }
  }

  /** Removes the user, their connections (revoked and deleted) and every session they hold. */
  async remove(admin: User, userId: string): Promise<User> {
    const target = await this.target(admin, userId)
    if (target.id === admin.id)
      throw new AppError('forbidden', 'You cannot remove yourself.', { status: 403 })
    await this.deps.lifecycle.removeUser(admin.tenantId, userId)
    await this.deps.users.remove(target)
    await this.deps.sessions.removeAll(admin.tenantId, userId)
    return target
  }

  private async target(admin: User, userId: string): Promise<User> {
    // Looked up under the admin's tenant only: an id from another tenant simply is not found.
    const user = await this.deps.users.get(admin.tenantId, userId)
    if (!user) throw new NotFoundError('No such user in your organisation.')
    return user
  }
}
