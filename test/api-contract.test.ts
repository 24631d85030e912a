import Ajv from 'ajv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { startTestApp, type TestApp } from './helpers/app.js'
import { api, tenantWithConnections, type ApiTenant } from './helpers/api.js'
import { Connection, ConnectionList, Message, Problem } from '../src/api/schemas.js'

// The served OpenAPI document against the real answers: each answer must satisfy both the
// zod schema the route uses and the document's JSON Schema for it (checked with the Ajv
// already installed; it speaks draft-07, which these schemas stay within).
type Doc = {
  openapi: string
  jsonSchemaDialect: string
  info: { title: string; version: string }
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>
  components: { schemas: Record<string, unknown> }
}

let t: TestApp
let a: ApiTenant
let doc: Doc
let ajv: Ajv.Ajv
beforeAll(async () => {
  t = await startTestApp({ name: 'api-contract' })
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

  it('documents every problem type on /api/docs, rendered under the strict CSP without script', async () => {
    const page = await api(t.app).get('/api/docs').expect(200).expect('content-type', /html/)
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.text).toContain('GET /connections/{id}')
    expect(page.text).toContain('id="problem-not_found"')
    expect(page.text).not.toMatch(/<script(?![^>]*src="\/public\/app\.js")/)
    expect(page.headers['set-cookie']).toBeUndefined()
  })
})
