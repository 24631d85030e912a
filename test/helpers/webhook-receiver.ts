import { createHmac } from 'node:crypto'
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

/** True when the hit carries a valid `X-Switchboard-Signature` for `secret`. */
export function signedWith(hit: Hit, secret: string): boolean {
  const timestamp = String(hit.headers['x-switchboard-timestamp'])
  const expected = createHmac('sha256', secret).update(`${timestamp}.${hit.body}`).digest('hex')
  return hit.headers['x-switchboard-signature'] === `sha256=${expected}`
}
