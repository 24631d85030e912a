import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { loadConfig } from '../src/config/config.js'
import { keptAttribute, looksSensitive } from '../src/tracing/scrub.js'
import { withSpan } from '../src/tracing/spans.js'
import { startTracing, type Tracing } from '../src/tracing/start.js'
import { csrfOf, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'
import { waitFor } from './helpers/redis-server.js'
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js'

/**
 * Traces end to end: the real SDK exports over OTLP/HTTP (`http/json`) to a collector on a
 * loopback port that decodes what it is sent, as Jaeger or Tempo would.
 */
interface OtlpValue {
  stringValue?: string
  intValue?: string | number
  boolValue?: boolean
  doubleValue?: number
}
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes?: { key: string; value: OtlpValue }[]
  links?: { traceId: string; spanId: string }[]
  status?: { code?: number; message?: string }
}
interface Exported {
  service: string
  span: OtlpSpan
  attrs: Record<string, string | number | boolean | undefined>
}

const SERVER = 2
const CLIENT = 3
const CONSUMER = 5

let collector: http.Server
const bodies: string[] = []
let received: Exported[] = []
let tracing: Tracing
let t: TestApp
let webhookReceiver: Receiver

function valueOf(v: OtlpValue): string | number | boolean | undefined {
  return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue))
}

function decode(body: string): Exported[] {
  const doc = JSON.parse(body) as {
    resourceSpans: {
      resource: { attributes: { key: string; value: OtlpValue }[] }
      scopeSpans: { spans: OtlpSpan[] }[]
    }[]
  }
  return doc.resourceSpans.flatMap((rs) => {
    const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? ''
    return rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((span) => ({
        service,
        span,
        attrs: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, valueOf(a.value)])),
      })),
    )
  })
}

/**
 * What the collector received, once `until` holds. A flush exports only the spans still
 * buffered: a span the processor's timer already took may still be on its way (slowly, on a
 * busy machine), so the test waits for the delivery itself (bounded).
 */
async function exported(until: (all: Exported[]) => boolean = () => true): Promise<Exported[]> {
  await tracing.flush()
  await waitFor(
    'the spans at the collector',
    async () => until(received) || (await tracing.flush(), false),
    10_000,
  )
  return received
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex')

beforeAll(async () => {
  collector = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      if (req.url === '/v1/traces' && String(req.headers['content-type']).startsWith('application/json')) {
        bodies.push(body)
        received = received.concat(decode(body))
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`
  // The configuration the server would build from these variables, as it starts tracing.
  const config = loadConfig({
    NODE_ENV: 'test',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  })
  expect(config.tracing).toEqual({
    tracesUrl: `${endpoint}/v1/traces`,
    protocol: 'http/json',
    serviceName: 'switchboard',
  })
  tracing = await startTracing(config.tracing!)
  t = await startTestApp({
    name: 'tracing',
    env: { WEBHOOK_ALLOW_PRIVATE: '1' },
    deps: { panelCacheTtlSec: 0 },
  })
  webhookReceiver = await startReceiver()
})

afterAll(async () => {
  await t.close()
  await webhookReceiver.close()
  await tracing.shutdown()
  await new Promise((resolve) => collector.close(resolve))
})

describe('tracing configuration', () => {
  it('is off (nothing to load) without an endpoint, and honours the standard variables', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).tracing).toBeUndefined()
    const both = {
      NODE_ENV: 'test',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com:4318/',
    } as const
    expect(loadConfig(both).tracing).toEqual({
      tracesUrl: 'https://otel.example.com:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'switchboard',
    })
    expect(
      loadConfig({
        ...both,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example.com/otlp/v1/traces',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'switchboard-eu',
      }).tracing,
    ).toEqual({
      tracesUrl: 'https://tempo.example.com/otlp/v1/traces',
      protocol: 'http/json',
      serviceName: 'switchboard-eu',
    })
    expect(loadConfig({ ...both, OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined()
    expect(loadConfig({ ...both, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeUndefined()
    expect(() => loadConfig({ ...both, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: expected http\/protobuf or http\/json/,
    )
  })
})

describe('one dashboard load that refreshes a token', () => {
  it('is one trace continuing the caller’s traceparent: server span, lock wait, provider client spans; no secret or personal data', async () => {
    const { agent, email, password } = await signUp(t.app, 'Traced Org')
    await connectSms77(t, agent, ['balance', 'journal'])
    const found = await t.services.users.findForLogin(email)
    const ref: ConnectionRef = { tenantId: found!.user.tenantId, userId: found!.user.id, provider: 'sms77' }
    const before = (await t.services.store.get(ref))!.grant
    await t.services.store.saveGrant(ref, { ...before, expiresAt: Date.now() - 1 })

    const traceId = hex(16)
    const callerSpan = hex(8)
    const refreshesBefore = t.sandbox.control.stats.sms77.refreshes
    const page = await agent
      .get('/dashboard')
      .set('traceparent', `00-${traceId}-${callerSpan}-01`)
      .expect(200)
    expect(page.text).toContain('john.doe@acme.inc')
    expect(t.sandbox.control.stats.sms77.refreshes).toBe(refreshesBefore + 1)
    const after = (await t.services.store.get(ref))!.grant

    const spans = (
      await exported((all) => all.some((e) => e.span.traceId === traceId && e.span.kind === SERVER))
    ).filter((e) => e.span.traceId === traceId)
    expect(spans.every((e) => e.service === 'switchboard')).toBe(true)
    const servers = spans.filter((e) => e.span.kind === SERVER)
    expect(servers.map((e) => e.span.name)).toEqual(['GET /dashboard'])
    const server = servers[0]!
    expect(server.span.parentSpanId).toBe(callerSpan)
    expect(server.attrs).toMatchObject({ 'http.route': '/dashboard', 'http.response.status_code': 200 })

    const clients = spans.filter((e) => e.span.kind === CLIENT)
    expect(clients.length).toBeGreaterThanOrEqual(2) // the token refresh, then the panels' reads
    for (const c of clients) expect(c.attrs['switchboard.provider']).toBe('sms77')
    expect(clients.map((c) => c.attrs['switchboard.endpoint'])).toContain('/sandbox/sms77/oauth/token')
    const wait = spans.find((e) => e.span.name === 'refresh lock wait')
    expect(wait?.attrs).toMatchObject({ 'switchboard.provider': 'sms77', 'switchboard.lock': 'acquired' })
    // Everything hangs under the server span, in this one trace.
    const ids = new Set(spans.map((e) => e.span.spanId))
    for (const e of spans) if (e !== server) expect(ids.has(e.span.parentSpanId ?? '')).toBe(true)

    // Nothing personal or secret in anything the collector got, from any span so far.
    const everything = bodies.join('\n')
    for (const secret of [
      email,
      password,
      'john.doe@acme.inc',
      before.secrets.accessToken,
      before.secrets.refreshToken,
      after.secrets.accessToken,
      after.secrets.refreshToken,
      t.config.sessionSecret,
      t.config.sms77.client!.secret,
    ])
      expect(everything).not.toContain(secret)
    expect(everything).not.toMatch(/[?&](code|state|access_token|refresh_token)=/)
  })
})

describe('jobs and webhooks', () => {
  it('a webhook job is a consumer span linked to the request that queued it, and its delivery carries traceparent', async () => {
    const { agent } = await signUp(t.app, 'Traced Webhooks')
    await agent
      .post('/admin/webhook')
      .type('form')
      .send({
        _csrf: await csrfOf(agent, '/admin/credentials'),
        url: webhookReceiver.url,
        secret: 'whsec-tracing-0123456789',
      })
      .expect(303)
    const traceId = hex(16)
    await agent
      .post('/admin/webhook/test')
      .set('traceparent', `00-${traceId}-${hex(8)}-01`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/admin/credentials') })
      .expect(303)
    t.services.jobs.start()
    // Standard Webhooks bodies name no tenant: this organisation's is the one `test` event here.
    const isTest = (h: { body: string }) => (JSON.parse(h.body) as { type?: string }).type === 'test'
    await waitFor('the test delivery', async () => webhookReceiver.hits.some(isTest))
    const hit = webhookReceiver.hits.find(isTest)!
    const sent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(hit.headers.traceparent))
    expect(sent).not.toBeNull()

    const all = await exported((all) =>
      [traceId, sent![1]].every((id) => all.some((e) => e.span.traceId === id)),
    )
    const request = all.find((e) => e.span.traceId === traceId && e.span.kind === SERVER)!
    expect(request.span.name).toBe('POST /admin/webhook/test')
    const job = all.find((e) => e.span.kind === CONSUMER && e.span.traceId === sent![1])!
    expect(job.span.name).toBe('process webhooks')
    expect(job.span.spanId).toBe(sent![2])
    expect(job.attrs).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.destination.name': 'webhooks',
    })
    // Its own trace, linked to the request span that queued it.
    expect(job.span.traceId).not.toBe(traceId)
    expect(job.span.links).toEqual([expect.objectContaining({ traceId, spanId: request.span.spanId })])
  })
})

describe('the scrubbing span processor', () => {
  it('drops every attribute that could carry a token, password, email, phone number or text', async () => {
    // Letters only: eight hex characters are seven or more digits one time in twenty, and a
    // name that looks like a phone number is itself redacted (the span would never be found).
    const marker = hex(4).replace(/\d/g, (d) => 'ghijklmnop'[Number(d)]!)
    await withSpan(
      `scrub ${marker}`,
      {
        attributes: {
          'http.route': '/connect/:provider',
          'switchboard.provider': 'nexmo',
          'url.full': 'https://gateway.sms77.io/api/balance?p=abc123def456ghi789',
          'http.url': '/oauth_redirect?code=x&state=y',
          'http.request.header.authorization': 'Bearer sk_live_abc',
          'db.statement': 'SET sb:sess:1 {"user":"anna@example.com"}',
          'enduser.id': 'anna@example.com',
          'switchboard.note': 'anna@example.com',
          'switchboard.to': '+49 170 1234567',
          'switchboard.token': 'Ab3dEf6hIj9kLm2nOp5qRs8t',
          'switchboard.text': 'x'.repeat(200),
          password: 'correct horse battery',
        },
      },
      async () => undefined,
    )
    const named = (e: Exported) => e.span.name === `scrub ${marker}`
    const span = (await exported((all) => all.some(named))).find(named)!
    expect(span.attrs).toEqual({ 'http.route': '/connect/:provider', 'switchboard.provider': 'nexmo' })
  })

  it('judges values as well as keys', () => {
    for (const bad of [
      'anna.berg@example.de',
      '+49 (170) 123-4567',
      '01701234567',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
      'https://user:pass@host/x',
      '/api?key=1',
      'Hello, this is the message text of an SMS that someone sent to a customer of theirs!'.repeat(2),
    ])
      expect(looksSensitive(bad), bad).toBe(true)
    for (const fine of [
      '/sandbox/sms77/oauth/token',
      'GET /api/v1/connections/:id',
      'keepalive-sms77',
      'sms77',
      200,
    ])
      expect(looksSensitive(fine), String(fine)).toBe(false)
    expect(keptAttribute('http.route', '/dashboard')).toBe(true)
    expect(keptAttribute('url.full', 'https://example.com/')).toBe(false)
  })
})
