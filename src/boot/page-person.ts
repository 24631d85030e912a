import type { RequestHandler } from 'express'
import { currentUser, loadUser } from '../auth/current-user.js'
import type { UserStore } from '../auth/user-store.js'
import { preferPerson } from '../i18n/localize.js'
import { noTokenForAnonymous } from '../http/csrf.js'

/**
 * `/api/docs` is a page like the others (the header names the signed-in person, the page is
 * in their language), though it sits under `/api`, which is mounted before sessions: it gets
 * the session, the person and their language on its own. Nothing here stores a session for
 * an anonymous visitor (no CSRF token is made for a page they see without a form); the JSON
 * API beside it never passes through this.
 */
export function pageWithPerson(deps: {
  session: RequestHandler
  users: UserStore
  exposeToken: RequestHandler
}): RequestHandler[] {
  return [
    deps.session,
    loadUser(deps.users),
    preferPerson(currentUser),
    deps.exposeToken,
    noTokenForAnonymous,
  ]
}
