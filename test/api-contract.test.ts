import { readFileSync } from 'node:fs'
import Ajv from 'ajv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { startTestApp, type TestApp } from './helpers/app.js'
import { api, tenantWithConnections, type ApiTenant } from './helpers/api.js'
import { Connection, ConnectionList, EventList, Message, Problem } from '../src/api/schemas.js'
import { ENVELOPES, EVENT_TYPES, type EventType } from '../src/events/catalogue.js'
import { csrfOf } from './helpers/app.js'
import { connectNexmo } from './helpers/flows.js'
import { waitFor } from './helpers/redis-server.js'
import { startReceiver, verifiedWith } from './helpers/webhook-receiver.js'
import { addUserAndSignIn } from './helpers/users.js'

// The served OpenAPI document against the real answers: each answer must satisfy both the
// zod schema the route uses and the document's JSON Schema for it (checked with the Ajv
// already installed; it speaks draft-07, which these schemas stay within).
type Doc = {
  openapi: string
  jsonSchemaDialect: string
  info: { title: string; version: string }
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>
  components: { schemas: Record<string, unknown> }
  webhooks: Record<
    string,
    { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }
  >
}

let t: TestApp
let a: ApiTenant
let doc: Doc
let ajv: Ajv.Ajv
beforeAll(async () => {
  t = await startTestApp({ name: 'api-contract', env: { WEBHOOK_ALLOW_PRIVATE: '1' } })
  t.services.jobs.start()
  a = await tenantWithConnections(t, 'Contract Co')
  const res = await api(t.app).get('/api/v1/openapi.json').expect(200).expect('content-type', /json/)
  doc = res.body as Doc
  ajv = new Ajv({ allErrors: true })
  ajv.addSchema({ $id: 'openapi', components: doc.components })
})
afterAll(() => t.close())

function conforms(name: string, schema: z.ZodType, body: unknown): void {
  expect(schema.safeParse(body).error).toBeUndefined()
  const valid = ajv.validate(`openapi#/components/schemas/${name}`, body)
  expect(ajv.errors ?? [], `${name}: ${ajv.errorsText()}`).toEqual([])
  expect(valid).toBe(true)
}

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found))
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') found.push(v)
      else refsIn(v, found)
    }
  return found
}

describe('OpenAPI contract', () => {
  it('is a structurally valid OpenAPI 3.1 document', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/)
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(doc.info.title && doc.info.version).toBeTruthy()
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/connections',
      '/connections/{id}',
      '/connections/{id}/messages',
      '/events',
    ])
    const operationIds = Object.values(doc.paths).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    )
    expect(new Set(operationIds).size).toBe(operationIds.length)
    for (const [path, item] of Object.entries(doc.paths))
      for (const op of Object.values(item)) {
        expect(Object.keys(op.responses).length, path).toBeGreaterThan(0)
        for (const status of Object.keys(op.responses)) expect(status).toMatch(/^[1-5]\d\d$/)
      }
    for (const ref of refsIn(doc)) {
      const name = /^#\/components\/schemas\/(\w+)$/.exec(ref)?.[1]
      expect(name && doc.components.schemas[name], ref).toBeTruthy()
    }
    // The validator is live: a wrong answer fails it.
    expect(ajv.validate('openapi#/components/schemas/Message', { id: 1, to: '0170' })).toBe(false)
    // Every component compiles as a JSON Schema.
    for (const name of Object.keys(doc.components.schemas))
      expect(() => ajv.getSchema(`openapi#/components/schemas/${name}`)).not.toThrow()
  })

  it('matches the real answers: list, one connection, a message, a problem', async () => {
    const list = await api(t.app, a.key).get('/api/v1/connections').expect(200)
    conforms('ConnectionList', ConnectionList, list.body)
    const one = await api(t.app, a.key).get(`/api/v1/connections/${a.ids.nexmo}`).expect(200)
    conforms('Connection', Connection, one.body)
    const sent = await api(t.app, a.key)
      .post(`/api/v1/connections/${a.ids.sms77}/messages`)
      .set('Idempotency-Key', 'contract')
      .send({ to: '+491701234567', text: 'contract' })
      .expect(201)
    conforms('Message', Message, sent.body)
    for (const res of [
      await api(t.app).get('/api/v1/connections').expect(401),
      await api(t.app, a.key).get('/api/v1/connections/nope').expect(404),
    ])
      conforms('Problem', Problem, res.body)
  })

  it('documents every event type as an OpenAPI 3.1 webhook, and real deliveries and the feed match it', async () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES].sort())
    const receiver = await startReceiver()
    try {
      const csrf = await csrfOf(a.admin, '/admin/credentials')
      const saved = await a.admin
        .post('/admin/webhook')
        .type('form')
        .send({ _csrf: csrf, url: receiver.url, secret: '' })
        .expect(200)
      const secret = /value="(whsec_[^"]+)" readonly/.exec(saved.text)![1]!
      // connection.connected (a new member), message.sent, test, connection.disconnected.
      const member = await addUserAndSignIn(t.app, a.admin, 'member')
      await connectNexmo(member.agent)
      await api(t.app, a.key)
        .post(`/api/v1/connections/${a.ids.nexmo}/messages`)
        .set('Idempotency-Key', 'contract-hook')
        .send({ to: '+491701234567', text: 'contract' })
        .expect(201)
      await a.admin
        .post('/admin/webhook/test')
        .type('form')
        .send({ _csrf: await csrfOf(a.admin, '/admin/credentials') })
        .expect(303)
      await member.agent
        .post('/disconnect/nexmo')
        .type('form')
        .send({ _csrf: await csrfOf(member.agent) })
        .expect(303)
      const want = ['connection.connected', 'message.sent', 'test', 'connection.disconnected']
      const types = () => receiver.hits.map((h) => JSON.parse(h.body).type as string)
      await waitFor('four kinds of event', async () => want.every((w) => types().includes(w)))
      for (const hit of receiver.hits) {
        const body = verifiedWith(hit, secret) as { type: EventType }
        expect(body).not.toBeNull()
        const ref = doc.webhooks[body.type]!.post.requestBody.content['application/json']!.schema.$ref
        const name = ref.replace('#/components/schemas/', '')
        conforms(name, ENVELOPES[body.type], body)
      }
      const feed = await api(t.app, a.key).get('/api/v1/events?limit=100').expect(200)
      conforms('EventList', EventList, feed.body)
      expect(feed.body.data.length).toBeGreaterThanOrEqual(receiver.hits.length)
    } finally {
      await receiver.close()
    }
  })

  it('has an example body for every event type in docs/events.md, each valid against the document', () => {
    const text = readFileSync(new URL('../docs/events.md', import.meta.url), 'utf8')
    const examples = [...text.matchAll(/```json\n([\s\S]*?)```/g)].map(
      (m) => JSON.parse(m[1]!) as { type: EventType },
    )
    expect(examples.map((e) => e.type).sort()).toEqual([...EVENT_TYPES].sort())
    for (const example of examples) {
      const ref = doc.webhooks[example.type]!.post.requestBody.content['application/json']!.schema.$ref
      conforms(ref.replace('#/components/schemas/', ''), ENVELOPES[example.type], example)
    }
  })

  it('documents every problem type on /api/docs, under the strict CSP with no inline script', async () => {
    const page = await api(t.app).get('/api/docs').expect(200).expect('content-type', /html/)
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline')
    expect(page.text).toContain('GET /connections/{id}') // the server-rendered reference, without script
    expect(page.text).toContain('id="problem-not_found"')
    // Scripts only from this app: app.js, Swagger UI's bundle and the file that starts it.
    const scripts = [...page.text.matchAll(/<script([^>]*)>/g)].map((m) => /src="([^"]+)"/.exec(m[1]!)?.[1])
    expect(scripts).toEqual([
      '/public/app.js',
      '/api/docs/assets/swagger-ui-bundle.js',
      '/public/api-docs.js',
    ])
    expect(page.headers['set-cookie']).toBeUndefined()
    // The renderer is served by the app itself (no CDN), and only its two files are.
    const bundle = await api(t.app).get('/api/docs/assets/swagger-ui-bundle.js').expect(200)
    expect(bundle.headers['content-type']).toMatch(/javascript/)
    await api(t.app).get('/api/docs/assets/swagger-ui.css').expect(200).expect('content-type', /css/)
    await api(t.app).get('/api/docs/assets/package.json').expect(404)
    await api(t.app).get('/api/docs/assets/..%2F..%2Fpackage.json').expect(404)
  })
})
