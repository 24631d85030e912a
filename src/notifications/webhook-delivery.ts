import { createHmac } from 'node:crypto'
import { isIP } from 'node:net'
import { Agent, request } from 'undici'
import { checkWebhookUrl, guardedLookup, isPrivateAddress, ssrfRefused } from './ssrf-guard.js'
import { traceCarrier } from '../tracing/spans.js'

export interface DeliveryResult {
  ok: boolean
  /** A refusal (SSRF guard) is final; other failures may be retried. */
  final: boolean
  detail: string
}

/**
 * `X-Switchboard-Signature: sha256=HMAC(secret, "<timestamp>.<body>")`: the receiver
 * recomputes it over the exact bytes and rejects old timestamps (replays).
 */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

export class WebhookSender {
  private readonly agent: Agent

  constructor(private readonly allowPrivate: boolean) {
    this.agent = new Agent({
      connect: { timeout: 3_000, lookup: guardedLookup(allowPrivate) },
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    })
  }

  async send(rawUrl: string, secret: string, deliveryId: string, body: string): Promise<DeliveryResult> {
    let url: URL
    try {
      url = checkWebhookUrl(rawUrl)
      // Node connects to IP literals without a lookup, so the guard judges them here.
      const host = url.hostname.replace(/^\[|\]$/g, '')
      if (!this.allowPrivate && isIP(host) && isPrivateAddress(host))
        throw ssrfRefused(`${host} is a private address`)
    } catch (err) {
      return { ok: false, final: true, detail: (err as Error).message }
    }
    const timestamp = String(Math.floor(Date.now() / 1000))
    try {
      // undici does not follow redirects: a 3xx cannot bounce a delivery to a private address.
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Switchboard-Webhook/1',
          'x-switchboard-delivery': deliveryId,
          'x-switchboard-timestamp': timestamp,
          'x-switchboard-signature': signPayload(secret, timestamp, body),
          // The delivery job's span (W3C trace context), with tracing on.
          ...traceCarrier(),
        },
        body,
        signal: AbortSignal.timeout(8_000),
      })
      await res.body.dump()
      const ok = res.statusCode >= 200 && res.statusCode < 300
      return { ok, final: ok, detail: `HTTP ${res.statusCode}` }
    } catch (err) {
      const e = err as { code?: string; cause?: { code?: string; message?: string }; message: string }
      const refused = e.code === 'ESSRF' || e.cause?.code === 'ESSRF'
      return {
        ok: false,
        final: refused,
        detail: refused
          ? `refused: ${e.cause?.message ?? e.message}`
          : `network error: ${e.cause?.code ?? e.code ?? e.message}`,
      }
    }
  }
}
