import path from 'node:path'
import ejs from 'ejs'
import type { RequestHandler, Response } from 'express'
import { VIEWS_DIR } from '../../../config/paths.js'
import { CONSENT_CSS } from './consent-css.js'
import { sandboxLocale } from '../../i18n.js'

const view = (name: string) => path.join(VIEWS_DIR, 'sandbox', `sms77-${name}.ejs`)

// The sandbox renders its own pages: it may be mounted in an app without a view engine
// (the tests mount it on a bare express()).
async function render(res: Response, status: number, name: string, data: Record<string, unknown>) {
  const locale = sandboxLocale(res.req)
  const html = await ejs.renderFile(view(name), { ...locale, ...data }, { cache: true })
  res
    .status(status)
    .type('html')
    .set('Content-Language', locale.lang)
    .vary('Accept-Language')
    .set('Cache-Control', 'no-store')
    .send(html)
}

export interface ConsentView {
  clientId: string
  requestId: string
  redirectHost: string
  scopes: Array<{ name: string; meaning: string }>
  accounts: Array<{ userId: number; company: string; email: string; alias: string; balance: string }>
}

export function renderConsent(res: Response, data: ConsentView): Promise<void> {
  return render(res, 200, 'consent', { ...data })
}

/** A provider-side error page, for problems that must not be sent to an unverified redirect URI. */
export function renderOAuthError(
  res: Response,
  error: string,
  description: string,
  status = 400,
): Promise<void> {
  return render(res, status, 'error', { error, description })
}

/** The consent page's stylesheet, served by the sandbox itself so no inline style is needed. */
export const serveCss: RequestHandler = (_req, res) => {
  res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(CONSENT_CSS)
}
