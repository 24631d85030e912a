import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/config.js'
import { withSpan } from '../src/tracing/spans.js'
import { startTracing, type Tracing } from '../src/tracing/start.js'

/** The default protocol, `http/protobuf`, to a loopback collector (its own file: one SDK per process). */
const posts: { path?: string; type?: string; body: Buffer }[] = []
let collector: http.Server
let tracing: Tracing

beforeAll(async () => {
  collector = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      posts.push({ path: req.url, type: req.headers['content-type'], body: Buffer.concat(chunks) })
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`
  const config = loadConfig({ NODE_ENV: 'test', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })
  expect(config.tracing?.protocol).toBe('http/protobuf')
  tracing = await startTracing(config.tracing!)
})
afterAll(async () => {
  await tracing.shutdown()
  await new Promise((resolve) => collector.close(resolve))
})

describe('OTLP/HTTP protobuf', () => {
  it('posts protobuf to /v1/traces with the service name and the span', async () => {
    await withSpan(
      'GET protobuf-check',
      { kind: 'client', attributes: { 'switchboard.provider': 'nexmo' } },
      async () => {},
    )
    await tracing.flush()
    const post = posts.find((p) => p.body.includes('protobuf-check'))
    expect(post).toMatchObject({ path: '/v1/traces', type: 'application/x-protobuf' })
    // Protobuf keeps strings as UTF-8 bytes: the resource's service name and the attribute.
    expect(post!.body.includes('switchboard')).toBe(true)
    expect(post!.body.includes('switchboard.provider')).toBe(true)
  })
})
