import { Webhook } from 'standardwebhooks'
import type { LoggedEvent } from '../../src/events/event-log.js'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Hit {
  /** When the request's body had arrived (ms since the epoch). */
  at: number
  headers: http.IncomingHttpHeaders
  body: string
}

export interface Receiver {
  url: string
  hits: Hit[]
  /** Requests whose answer is still outstanding (held open by `hold`). */
  open(): number
  close(): Promise<void>
}

/**
 * A webhook endpoint on a real loopback port that records every delivery. `answer` picks
 * the status per hit, or 'hang' to hold the request open until the sender gives up (or
 * the receiver closes).
 */
export async function startReceiver(answer: (hit: Hit) => number | 'hang' = () => 204): Promise<Receiver> {
  const hits: Hit[] = []
  const held = new Set<http.ServerResponse>()
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const hit = { at: Date.now(), headers: req.headers, body }
      hits.push(hit)
      const status = answer(hit)
      if (status !== 'hang') return void res.writeHead(status).end()
      held.add(res)
      res.on('close', () => held.delete(res))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    open: () => held.size,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

/** A secret as Switchboard signs with it: `whsec_…` as is, any other string as the key's bytes. */
export function asStandardSecret(secret: string): string {
  return secret.startsWith('whsec_') ? secret : `whsec_${Buffer.from(secret).toString('base64')}`
}

/**
 * The hit's body once the `standardwebhooks` library has verified it with `secret` (its
 * webhook-id, webhook-timestamp and webhook-signature), or null when it does not verify.
 */
export function verifiedWith(hit: Pick<Hit, 'headers' | 'body'>, secret: string): unknown {
  try {
    return new Webhook(asStandardSecret(secret)).verify(hit.body, hit.headers as Record<string, string>)
  } catch {
    return null
  }
}

/** True when the hit verifies with `secret` by the standardwebhooks library. */
export function signedWith(hit: Pick<Hit, 'headers' | 'body'>, secret: string): boolean {
  return verifiedWith(hit, secret) !== null
}

let sampleCount = 0
/** An event as the event log hands it to the queue (tests of the queue alone, without the log). */
export function sampleEvent(data: object = { message: 'hello' }, type = 'test'): LoggedEvent {
  sampleCount++
  return {
    id: `msg_sample${sampleCount}`,
    type: type as LoggedEvent['type'],
    timestamp: new Date().toISOString(),
    data: data as LoggedEvent['data'],
    position: `${Date.now()}-${sampleCount}`,
  }
}

/** The body a delivery of `event` carries. */
export function bodyOf(event: LoggedEvent): object {
  return { type: event.type, timestamp: event.timestamp, data: event.data }
}
