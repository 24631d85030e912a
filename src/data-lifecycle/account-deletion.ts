import { Router, type Request, type Response } from 'express'
import type { AuditLog } from '../audit/audit-log.js'
import { requireSignedIn, requireUser } from '../auth/current-user.js'
import type { Reauth } from '../auth/reauth.js'
import { flash, regenerate } from '../auth/session.js'
import type { SessionIndex } from '../auth/session-index.js'
import type { User, UserStore } from '../auth/user-store.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import { tOf } from '../i18n/localize.js'

export interface AccountDeletionDeps {
  users: UserStore
  sessions: SessionIndex
  connections: ConnectionLifecycle
  audit: AuditLog
  /** Single sign-on re-authentication; without it, only the password confirms. */
  reauth?: Reauth
}

export type ConfirmedWith = 'password' | 'single sign-on'

/**
 * Delete my account, however it was confirmed: an organisation's last admin is refused;
 * otherwise the connections are revoked and removed, the person removed, every session of
 * theirs ended, and the deletion recorded in the organisation's audit log.
 */
export async function deleteAccount(
  deps: AccountDeletionDeps,
  req: Request,
  res: Response,
  user: User,
  via: ConfirmedWith,
): Promise<void> {
  const t = tOf(req)
  if (await isLastAdmin(deps, user)) {
    flash(req, 'error', t('data:account.lastAdmin'))
    return res.redirect(303, '/account')
  }
  await deps.connections.removeUser(user.tenantId, user.id)
  await deps.users.remove(user)
  await deps.sessions.removeAll(user.tenantId, user.id)
  await deps.audit.record(user.tenantId, {
    actorId: user.id,
    actorEmail: user.email,
    action: 'account.deleted',
    detail: `confirmed with ${via} from ${req.ip ?? 'unknown'}`,
    accounts: [],
  })
  await regenerate(req)
  res.locals.user = undefined
  res.status(200).render('message', {
    title: t('data:account.deletedHeading'),
    heading: t('data:account.deletedHeading'),
    text: t('data:account.deletedText'),
  })
}

async function isLastAdmin(deps: AccountDeletionDeps, user: User): Promise<boolean> {
  if (user.role !== 'admin') return false
  const people = await deps.users.list(user.tenantId, 0, 100_000)
  return !people.some((p) => p.role === 'admin' && p.id !== user.id)
}

/**
 * `POST /account/delete/sso` (Confirm with single sign-on): sends the person to their
 * organisation's identity provider; its callback (signin/sso-reauth.ts) deletes the account
 * through `deleteAccount` once it confirmed the same person, just now.
 */
export function ssoDeletionRoutes(deps: AccountDeletionDeps): Router {
  const r = Router()
  const reauth = deps.reauth
  if (!reauth) return r
  reauth.onConfirmed('delete-account', (req, res, user) =>
    deleteAccount(deps, req, res, user, 'single sign-on'),
  )
  r.post('/account/delete/sso', requireSignedIn, async (req, res) => {
    const user = requireUser(req)
    const t = tOf(req)
    // Told before the trip to the identity provider, and checked again after it.
    if (await isLastAdmin(deps, user)) {
      flash(req, 'error', t('data:account.lastAdmin'))
      return res.redirect(303, '/account')
    }
    const url = await reauth.start(req, user, 'delete-account')
    if (!url) {
      flash(req, 'error', t('signin:reauth.reasons.unavailable'))
      return res.redirect(303, '/account')
    }
    res.redirect(303, url.toString())
  })
  return r
}
