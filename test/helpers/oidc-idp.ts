import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import type Provider from 'oidc-provider'
import { fetch } from 'undici'
import { createSandboxIdp, type IdpPerson } from '../../src/sandbox/idp/index.js'

export interface RunningIdp {
  issuer: string
  /** The oidc-provider itself, for tests that bend its answers (provider.use). */
  provider: Provider
  close(): Promise<void>
}

/** A real oidc-provider on a loopback port (the sandbox's), knowing the given clients and people. */
export async function startIdp(opts: {
  clients: Array<{ clientId: string; clientSecret: string; redirectUris: string[] }>
  people: IdpPerson[]
}): Promise<RunningIdp> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const app = express()
  const { router, provider } = createSandboxIdp({ issuer, ...opts })
  app.use(router)
  server.on('request', app)
  return {
    issuer,
    provider,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/**
 * A browser at the identity provider: follows its redirects with its own cookies, signs in
 * as `personId` on the login page, and returns the URL it sends the browser back to.
 */
export async function signInAtIdp(authorizationUrl: string, personId: string): Promise<URL> {
  const jar = new Map<string, string>()
  let url = authorizationUrl
  let method: 'GET' | 'POST' = 'GET'
  let body: string | undefined
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
    })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const [k, ...v] = pair!.split('=')
      jar.set(k!.trim(), v.join('='))
    }
    method = 'GET'
    body = undefined
    const location = res.headers.get('location')
    if (location) {
      const next = new URL(location, url)
      if (!next.href.startsWith(new URL(authorizationUrl).origin)) return next
      url = next.href
      continue
    }
    const html = await res.text()
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]
    if (res.status !== 200 || !action)
      throw new Error(`identity provider answered ${res.status}: ${html.slice(0, 300)}`)
    url = new URL(action, url).href
    method = 'POST'
    body = new URLSearchParams({ person: personId }).toString()
  }
  throw new Error('too many redirects at the identity provider')
}

/** Saves an organisation's single sign-on on /admin/sso as its admin would (the form's CSRF token first). */
export async function saveSso(
  admin: import('supertest').Agent,
  settings: { issuer: string; clientId: string; clientSecret: string; domains: string; required?: boolean },
): Promise<void> {
  const page = await admin.get('/admin/sso').expect(200)
  const { required, ...rest } = settings
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!
  await admin
    .post('/admin/sso')
    .type('form')
    .send({ _csrf: csrf, ...rest, defaultRole: 'member', ...(required ? { required: '1' } : {}) })
    .expect(303)
}
