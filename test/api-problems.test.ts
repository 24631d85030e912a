/**
 * Issue 29 item 7, API errors people can act on: each problem names the field, the rule and
 * the limit; a form-encoded body is told to send JSON; 413 is its own documented problem; an
 * overlong Idempotency-Key is told its limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { api, smsSent, tenantWithConnections, type ApiTenant } from './helpers/api.js'

let t: TestApp
let a: ApiTenant
beforeAll(async () => {
  t = await startTestApp({ name: 'api-problems' })
  a = await tenantWithConnections(t, 'Problem Co')
})
afterAll(() => t.close())

const docs = (name: string) => `http://switchboard.test/api/docs#problem-${name}`
const messages = () => api(t.app, a.key).post(`/api/v1/connections/${a.ids.sms77}/messages`)

describe('API problems that say what to do (issue 29)', () => {
  it('names the field, the rule and the limit of a bad query', async () => {
    const res = await api(t.app, a.key).get('/api/v1/connections?limit=500').expect(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.body).toEqual({
      type: docs('validation_failed'),
      title: 'The request is not valid',
      status: 400,
      detail: 'Please check: limit: at most 100.',
      code: 'validation_failed',
      errors: [{ field: 'limit', rule: 'max', limit: 100, message: 'limit: at most 100' }],
    })
  })

  it('names each field of a bad message body with its limit', async () => {
    const before = smsSent(t)
    const res = await messages()
      .set('Idempotency-Key', 'too-long-text')
      .send({ text: 'x'.repeat(1521) })
      .expect(400)
    expect(res.body.detail).toBe('Please check: to: required; text: at most 1520 characters.')
    expect(res.body.errors).toEqual([
      { field: 'to', rule: 'required', message: 'to: required' },
      { field: 'text', rule: 'max', limit: 1520, message: 'text: at most 1520 characters' },
    ])
    expect(smsSent(t)).toBe(before)
  })

  it('tells a form-encoded body to send JSON', async () => {
    const res = await messages()
      .set('Idempotency-Key', 'form-body')
      .type('form')
      .send({ to: '+491701234567', text: 'hi' })
      .expect(415)
    expect(res.body).toMatchObject({
      type: docs('unsupported_media_type'),
      title: 'Send the request body as JSON',
      status: 415,
      code: 'unsupported_media_type',
    })
    expect(res.body.detail).toContain('Content-Type: application/json')
    expect(res.body.detail).not.toContain('Please check')
  })

  it('answers a body past 16 kB with its own typed, documented problem', async () => {
    const res = await messages()
      .set('Idempotency-Key', 'huge')
      .send({ to: '+491701234567', text: 'x'.repeat(20_000) })
      .expect(413)
    expect(res.body).toMatchObject({
      type: docs('payload_too_large'),
      title: 'The request body is too large',
      status: 413,
      code: 'payload_too_large',
    })
    expect(res.body.detail).toMatch(
      /^The request body may be at most 16384 bytes \(16 kB\); this one has \d+ bytes\.$/,
    )
    const doc = (await api(t.app, a.key).get('/api/v1/openapi.json').expect(200)).body
    const answers = doc.paths['/connections/{id}/messages'].post.responses
    expect(answers['413'].description).toContain(docs('payload_too_large'))
    expect(answers['415'].description).toContain(docs('unsupported_media_type'))
    expect(answers['400'].description).toContain(docs('idempotency_key_too_long'))
    expect(doc.components.schemas.Problem.properties.errors).toBeDefined()
    const page = (await api(t.app, a.key).get('/api/docs').expect(200)).text
    expect(page).toContain('id="problem-payload_too_large"')
  })

  it('tells an overlong Idempotency-Key its limit instead of calling it missing', async () => {
    const res = await messages()
      .set('Idempotency-Key', 'k'.repeat(3000))
      .send({ to: '+491701234567', text: 'hi' })
      .expect(400)
    expect(res.body.code).toBe('idempotency_key_too_long')
    expect(res.body.detail).toBe(
      'The `Idempotency-Key` header may be at most 255 characters (e.g. a UUID); this one has 3000.',
    )
  })
})
