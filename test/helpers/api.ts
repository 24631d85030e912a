import supertest from 'supertest'
import type { Express } from 'express'
import { expect } from 'vitest'
import { csrfOf, signUp, type Agent, type TestApp } from './app.js'
import { connectNexmo, connectSms77 } from './flows.js'

/** An admin makes a key through /admin/api-keys, as a person would; returns the key shown once. */
export async function createApiKey(admin: Agent, name: string, scopes: string[]): Promise<string> {
  const csrf = await csrfOf(admin, '/admin/api-keys')
  const body = `_csrf=${encodeURIComponent(csrf)}&name=${encodeURIComponent(name)}&${scopes
    .map((s) => `scopes=${s}`)
    .join('&')}`
  const res = await admin.post('/admin/api-keys').type('form').send(body).expect(200)
  const key = /<input id="api-key" name="apiKey" value="([^"]+)" readonly/.exec(res.text)?.[1]
  if (!key) throw new Error('no API key on the page')
  return key
}

export interface ApiTenant {
  admin: Agent
  email: string
  key: string
  ids: { sms77: string; nexmo: string }
}

/** A tenant whose admin connected both providers and made a read+send key. */
export async function tenantWithConnections(t: TestApp, org: string): Promise<ApiTenant> {
  const { agent: admin, email } = await signUp(t.app, org)
  await connectSms77(t, admin)
  await connectNexmo(admin)
  const key = await createApiKey(admin, `${org} system`, ['read', 'send'])
  const list = await api(t.app, key).get('/api/v1/connections').expect(200)
  const ids = Object.fromEntries(
    (list.body.data as Array<{ id: string; provider: string }>).map((c) => [c.provider, c.id]),
  )
  expect(Object.keys(ids).sort()).toEqual(['nexmo', 'sms77'])
  return { admin, email, key, ids: ids as ApiTenant['ids'] }
}

/** Requests with `Authorization: Bearer <key>` and no cookie jar. */
export function api(app: Express, key?: string) {
  const auth = (r: supertest.Test) => (key ? r.set('Authorization', `Bearer ${key}`) : r)
  const client = supertest(app)
  return {
    get: (path: string) => auth(client.get(path)),
    head: (path: string) => auth(client.head(path)),
    post: (path: string) => auth(client.post(path)),
  }
}

/** SMS the sandbox has been asked to send, both providers. */
export function smsSent(t: TestApp): number {
  const s = t.sandbox.control.stats
  return (s.sms77.apiCalls.sms ?? 0) + (s.nexmo.apiCalls.sms ?? 0)
}
