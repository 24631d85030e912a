import { combineEvents } from '../src/connections/events.js'
import express, { Router } from 'express'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { bearerMatches, createMetrics, providerEndpoint, type Metrics } from '../src/ops/metrics.js'

const TOKEN = 'metrics-token-0123456789abcdef'

/** A tiny app shaped like Switchboard's: metrics first, routes at the root and in a mounted router. */
function tinyApp(metrics: Metrics, token?: string) {
  const app = express()
  app.use(metrics.httpMetrics)
  app.use(metrics.metricsRoute(token))
  app.get('/connect/:provider', (req, res) => {
    res.status(req.params.provider === 'nope' ? 404 : 200).send(`hi ${req.params.provider}`)
  })
  const nested = Router()
  nested.get('/sms77/oauth/authorize', (_req, res) => {
    res.send('consent')
  })
  app.use('/sandbox', nested)
  app.get('/boom', () => {
    throw new Error('boom')
  })
  app.use((_req, res) => {
    res.status(404).send('not found')
  })
  return app
}

async function scrape(metrics: Metrics): Promise<string> {
  return metrics.registry.metrics()
}

function sampleValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue
    const m = /^[^{]+\{([^}]*)\} (\S+)$/.exec(line)
    if (!m) continue
    const got = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]))
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[2])
  }
  return undefined
}

describe('createMetrics', () => {
  it('times requests by route pattern, never by raw path', async () => {
    const metrics = createMetrics()
    const app = tinyApp(metrics)
    await supertest(app).get('/connect/sms77').expect(200)
    await supertest(app).get('/connect/nexmo').expect(200)
    await supertest(app).get('/connect/nope').expect(404)
    await supertest(app).get('/sandbox/sms77/oauth/authorize?client_id=x').expect(200)
    await supertest(app).get('/no/such/page/12345').expect(404)
    await supertest(app).get('/boom').expect(500)

    const text = await scrape(metrics)
    const count = (labels: Record<string, string>) =>
      sampleValue(text, 'http_request_duration_seconds_count', labels)
    expect(count({ method: 'GET', route: '/connect/:provider', status: '200' })).toBe(2)
    expect(count({ method: 'GET', route: '/connect/:provider', status: '404' })).toBe(1)
    expect(count({ method: 'GET', route: '/sandbox/sms77/oauth/authorize', status: '200' })).toBe(1)
    expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1)
    expect(count({ method: 'GET', route: '/boom', status: '500' })).toBe(1)
    // Raw URLs (ids, query strings) never become label values.
    expect(text).not.toMatch(/route="\/connect\/sms77"/)
    expect(text).not.toContain('12345')
    expect(text).not.toContain('client_id')
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/connect\/:provider",status="200"\} \d+/,
    )
  })

  it('counts refreshes by outcome, lock waits and status changes from the connection events', async () => {
    const metrics = createMetrics()
    metrics.events.refreshed?.('sms77', 'ok')
    metrics.events.refreshed?.('sms77', 'ok')
    metrics.events.refreshed?.('sms77', 'waited')
    metrics.events.refreshed?.('sms77', 'invalid_grant')
    metrics.events.refreshed?.('nexmo', 'error')
    metrics.events.lockWaited?.(0)
    metrics.events.lockWaited?.(1500)
    void metrics.events.changed?.({
      kind: 'needs_reconnect',
      ref: { tenantId: 't1', userId: 'u1', provider: 'sms77' },
      from: 'connected',
      reason: 'gone',
    })

    const text = await scrape(metrics)
    expect(sampleValue(text, 'token_refreshes_total', { provider: 'sms77', outcome: 'ok' })).toBe(2)
    expect(sampleValue(text, 'token_refreshes_total', { provider: 'sms77', outcome: 'waited' })).toBe(1)
    expect(sampleValue(text, 'token_refreshes_total', { provider: 'sms77', outcome: 'invalid_grant' })).toBe(
      1,
    )
    expect(sampleValue(text, 'token_refreshes_total', { provider: 'nexmo', outcome: 'error' })).toBe(1)
    expect(sampleValue(text, 'token_refreshes_total', { provider: 'nexmo', outcome: 'ok' })).toBeUndefined()
    expect(text).toMatch(/^refresh_lock_wait_seconds_count 2$/m)
    expect(text).toMatch(/^refresh_lock_wait_seconds_sum 1\.5$/m)
    expect(text).toMatch(/^refresh_lock_wait_seconds_bucket\{le="1"\} 1$/m)
    expect(
      sampleValue(text, 'connection_status_changes_total', {
        provider: 'sms77',
        from: 'connected',
        to: 'needs_reconnect',
      }),
    ).toBe(1)
  })

  it('records provider calls with a bounded endpoint label', async () => {
    const metrics = createMetrics()
    metrics.observeProviderCall(
      'sms77',
      'http://127.0.0.1:4010/sandbox/sms77/api/balance?x=secret',
      'ok',
      0.2,
    )
    metrics.observeProviderCall('sms77', '/balance', 'http_5xx', 0.02)
    metrics.observeProviderCall('nexmo', 'https://rest.nexmo.com/account/123456/numbers', 'ok', 0.05)
    const text = await scrape(metrics)
    expect(
      sampleValue(text, 'provider_call_duration_seconds_count', {
        provider: 'sms77',
        endpoint: '/sandbox/sms77/api/balance',
        outcome: 'ok',
      }),
    ).toBe(1)
    expect(
      sampleValue(text, 'provider_call_duration_seconds_sum', {
        provider: 'sms77',
        endpoint: '/sandbox/sms77/api/balance',
        outcome: 'ok',
      }),
    ).toBeCloseTo(0.2)
    expect(
      sampleValue(text, 'provider_call_duration_seconds_count', {
        provider: 'sms77',
        endpoint: '/balance',
        outcome: 'http_5xx',
      }),
    ).toBe(1)
    expect(
      sampleValue(text, 'provider_call_duration_seconds_count', {
        provider: 'nexmo',
        endpoint: '/account/:id/numbers',
        outcome: 'ok',
      }),
    ).toBe(1)
    expect(text).not.toContain('secret')
    expect(providerEndpoint('/oauth/token#frag')).toBe('/oauth/token')
  })

  it('guards /metrics with the bearer token: 401 without or with a wrong one, 200 with it', async () => {
    const app = tinyApp(createMetrics(), TOKEN)
    const none = await supertest(app).get('/metrics').expect(401)
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/)
    expect(none.text).not.toContain('http_request_duration_seconds')
    await supertest(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}x`).expect(401)
    await supertest(app)
      .get('/metrics')
      .set('Authorization', `Bearer ${TOKEN.slice(0, -1)}`)
      .expect(401)
    await supertest(app).get('/metrics').set('Authorization', `Basic ${TOKEN}`).expect(401)
    const ok = await supertest(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)
    expect(ok.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(ok.text).toContain('# TYPE http_request_duration_seconds histogram')
    // The 401s were themselves timed under the route pattern.
    expect(
      sampleValue(ok.text, 'http_request_duration_seconds_count', {
        method: 'GET',
        route: '/metrics',
        status: '401',
      }),
    ).toBe(4)
  })

  it('serves /metrics openly when no token is configured, with default process metrics on the same registry', async () => {
    const app = tinyApp(createMetrics())
    const res = await supertest(app).get('/metrics').expect(200)
    expect(res.text).toMatch(/^process_cpu_user_seconds_total \d/m)
    expect(res.text).toMatch(/^process_resident_memory_bytes \d/m)
    expect(res.text).toMatch(/^nodejs_eventloop_lag_seconds \d/m)
    expect(res.text).toMatch(/^nodejs_heap_size_used_bytes \d/m)
    expect(res.text).toContain('# TYPE token_refreshes_total counter')
    expect(res.text).toContain('# TYPE provider_call_duration_seconds histogram')
    expect(res.text).toContain('# TYPE refresh_lock_wait_seconds histogram')
    expect(res.text).toContain('# TYPE connection_status_changes_total counter')
  })

  it('keeps each instance on its own registry', async () => {
    const a = createMetrics()
    const b = createMetrics()
    a.events.refreshed?.('sms77', 'ok')
    expect(sampleValue(await scrape(a), 'token_refreshes_total', { provider: 'sms77', outcome: 'ok' })).toBe(
      1,
    )
    expect(
      sampleValue(await scrape(b), 'token_refreshes_total', { provider: 'sms77', outcome: 'ok' }),
    ).toBeUndefined()
  })

  it('compares bearer tokens exactly', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true)
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true)
    expect(bearerMatches(undefined, TOKEN)).toBe(false)
    expect(bearerMatches('Bearer ', TOKEN)).toBe(false)
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false)
    expect(bearerMatches(`Bearer ${TOKEN.toUpperCase()}`, TOKEN)).toBe(false)
  })

  it('combines event observers so metrics and another listener both hear a refresh', () => {
    const seen: string[] = []
    const metrics = createMetrics()
    const both = combineEvents(
      [metrics.events, { refreshed: (p, o) => seen.push(`${p}:${o}`) }, undefined],
      () => {},
    )
    both.refreshed?.('sms77', 'ok')
    both.lockWaited?.(10)
    expect(seen).toEqual(['sms77:ok'])
  })
})
