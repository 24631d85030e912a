import path from 'node:path'
import ejs from 'ejs'
import type { Response } from 'express'
import { VIEWS_DIR } from '../../config/paths.js'
import { sandboxLocale } from '../i18n.js'

/**
 * Pages are rendered with `ejs.renderFile` rather than `res.render` so the sandbox
 * does not depend on how (or whether) the host app configured a view engine.
 */
export async function renderPage(
  res: Response,
  status: number,
  view: 'nexmo-authorize' | 'nexmo-message',
  data: Record<string, unknown>,
): Promise<void> {
  const locale = sandboxLocale(res.req)
  const html = await ejs.renderFile(path.join(VIEWS_DIR, 'sandbox', `${view}.ejs`), { ...locale, ...data })
  // A consent page must not be framed (clickjacking) nor cached. No `form-action`:
  // browsers apply it to the redirect after the POST, which goes to the client's callback.
  res.set({
    'Cache-Control': 'no-store',
    'Content-Security-Policy':
      "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    'X-Frame-Options': 'DENY',
    'Content-Language': locale.lang,
    Vary: 'Accept-Language',
  })
  res.status(status).type('html').send(html)
}

/**
 * Shown by {@link renderPage} for errors and out-of-band results: `kind` names the title
 * and text in the sandbox catalogue (`nexmo.<kind>Title`, `nexmo.<kind>`).
 */
export function messagePage(
  res: Response,
  status: number,
  kind: 'invalid' | 'denied' | 'bad' | 'authorized',
  params: Record<string, string> = {},
  code?: string,
): Promise<void> {
  const { t } = sandboxLocale(res.req)
  const title = t(`nexmo.${kind}Title`)
  return renderPage(res, status, 'nexmo-message', {
    title,
    message: t(`nexmo.${kind}`, params),
    code: code ?? null,
  })
}

/** Served from the oauth router so the pages need no inline styles under a strict CSP. */
export const SANDBOX_CSS = `
:root { color-scheme: light; font-family: system-ui, sans-serif; }
body { margin: 0; background: #f3f4f8; color: #1b1d2a; }
main { max-width: 34rem; margin: 3rem auto; background: #fff; border-radius: 12px; padding: 2rem;
  box-shadow: 0 2px 12px rgb(0 0 0 / 8%); }
.brand { font-weight: 700; letter-spacing: .04em; color: #871fff; margin: 0 0 1rem; }
.brand span { color: #6b6f80; font-weight: 400; }
h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
fieldset { border: 1px solid #d9dbe5; border-radius: 8px; padding: .75rem 1rem; margin: 1rem 0; }
legend { font-weight: 600; padding: 0 .25rem; }
.account { display: flex; gap: .75rem; align-items: flex-start; padding: .5rem 0; cursor: pointer; }
.account + .account { border-top: 1px solid #eceef4; }
.name { display: block; font-weight: 600; }
.meta { display: block; color: #5b5f70; font-size: .9rem; }
.actions { display: flex; gap: .75rem; margin-top: 1.25rem; }
button { font: inherit; padding: .6rem 1.6rem; border-radius: 6px; border: 1px solid #871fff; cursor: pointer;
  background: #871fff; color: #fff; }
button.secondary { background: #fff; color: #871fff; }
code { background: #f0f1f6; padding: .1rem .35rem; border-radius: 4px; word-break: break-all; }
.note { color: #6b6f80; font-size: .85rem; margin-top: 1.5rem; }
`
