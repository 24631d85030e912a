import type { Request, Response } from 'express'
import type { User } from './user-store.js'

/**
 * Re-authentication before a step that cannot be undone, for people whose way in is their
 * organisation's single sign-on (the flow lives in signin/, which hands this down).
 */
export type ReauthPurpose = 'delete-account'

/** How a person confirms: their password, single sign-on only, or either. */
export type ReauthWay = 'password' | 'sso' | 'both'

/** What runs once the identity provider confirmed, just now, that it is this very person. */
export type Reconfirmed = (req: Request, res: Response, user: User) => Promise<void>

export interface Reauth {
  way(user: Pick<User, 'tenantId' | 'email' | 'role'>): Promise<ReauthWay>
  /** The identity provider's URL to send the browser to, or null when single sign-on cannot confirm. */
  start(req: Request, user: User, purpose: ReauthPurpose): Promise<URL | null>
  onConfirmed(purpose: ReauthPurpose, then: Reconfirmed): void
}
