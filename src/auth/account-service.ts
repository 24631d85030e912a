import type { TenantStore, Tenant } from '../tenants/tenant-store.js'
import { hashPassword, verifyPassword } from './passwords.js'
import type { Role, User, UserStore } from './user-store.js'

/** Sign-up, user creation and credential checks: used by the web routes and the operator CLI. */
export class AccountService {
  constructor(
    private readonly tenants: TenantStore,
    private readonly users: UserStore,
  ) {}

  async signUp(input: {
    organization: string
    email: string
    password: string
  }): Promise<{ tenant: Tenant; user: User }> {
    // Hash before claiming anything so a slow hash never leaves a half-made tenant behind.
    const passwordHash = await hashPassword(input.password)
    const tenant = await this.tenants.create(input.organization)
    const user = await this.users
      .create({ tenantId: tenant.id, email: input.email, passwordHash, role: 'admin' })
      .catch(async (err: unknown) => {
        // A taken email leaves no organisation without people behind.
        await this.tenants.remove(tenant.id)
        throw err
      })
    return { tenant, user }
  }

  async addUser(input: { tenantId: string; email: string; password: string; role: Role }): Promise<User> {
    if (!(await this.tenants.get(input.tenantId))) throw new Error(`no tenant with slug ${input.tenantId}`)
    return this.users.create({ ...input, passwordHash: await hashPassword(input.password) })
  }

  /**
   * A language picked in the footer before signing in becomes the person's choice, unless
   * they already made one on /account (issue 18).
   */
  async adoptLanguage(user: User, language: string | undefined): Promise<void> {
    if (!language || user.language) return
    await this.users.setPreferences(user.tenantId, user.id, { language, timeZone: user.timeZone ?? '' })
  }

  /** The user when email and password match, else null (same cost either way). */
  async checkCredentials(email: string, password: string): Promise<User | null> {
    const found = await this.users.findForLogin(email)
    const ok = await verifyPassword(found?.passwordHash, password)
    return ok && found ? found.user : null
  }
}
