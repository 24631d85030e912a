import { isIP } from 'node:net'
import { Agent, request } from 'undici'
import { signatures } from './signing-secret.js'
import { checkWebhookUrl, guardedLookup, isPrivateAddress, ssrfRefused } from './ssrf-guard.js'
import { traceCarrier } from '../tracing/spans.js'

export interface DeliveryResult {
  ok: boolean
  /** A refusal (SSRF guard) is final; other failures may be retried. */
  final: boolean
  detail: string
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

  /**
   * One attempt, signed as Standard Webhooks asks: `webhook-id` is the event's (the same on
   * every retry and resend, so receivers deduplicate on it), `webhook-timestamp` this
   * attempt's time (receivers reject old ones: replays), one signature per valid secret.
   */
  async send(rawUrl: string, secrets: string[], webhookId: string, body: string): Promise<DeliveryResult> {
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
          'webhook-id': webhookId,
          'webhook-timestamp': timestamp,
          'webhook-signature': signatures(secrets, webhookId, timestamp, body),
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
