import type { Context } from '@opentelemetry/api'
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base'

/**
 * The last check before a span leaves the process: an attribute is kept only when its key
 * is on a list of keys that hold bounded, non-personal words (a route template, a provider,
 * a status code) AND its value does not look like a secret or personal data. Everything
 * else (full URLs with their query, headers, statements with values, exception messages,
 * anything a library might add) is dropped, so no token, password, email, phone number or
 * message text reaches a collector even if a caller or an instrumentation put it there.
 */
const KEPT_KEYS = new Set([
  'http.request.method',
  'http.response.status_code',
  'http.route',
  'server.address',
  'server.port',
  'network.protocol.version',
  'messaging.system',
  'messaging.destination.name',
  'messaging.operation.type',
  'db.system',
  'db.system.name',
  'db.operation.name',
  'error.type',
  'exception.type',
])
const KEPT_PREFIX = 'switchboard.'

const EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/
// Seven or more digits, allowing the spaces, dots, dashes and brackets numbers are written with.
const PHONE = /\+?\d[\d\s().-]{5,}\d/
// Runs of 16 or more of the base64 / hex alphabet with both letters and digits, between
// slashes, dots or colons (access tokens, API keys, JWT parts, hashes, ids); a route
// template's words (`/sandbox/sms77/oauth/token`) are not.
const TOKEN_RUN = /[A-Za-z0-9_\-+=]{16,}/g
const tokenLike = (v: string) =>
  [...v.matchAll(TOKEN_RUN)].some(([run]) => /\d/.test(run) && /[A-Za-z]/.test(run))
const URL_WITH_DATA = /[?#]|\/\/[^/\s]*@/

/** True when a value could be a token, an email, a phone number, or free text. */
export function looksSensitive(value: unknown): boolean {
  if (typeof value === 'number' || typeof value === 'boolean') return false
  if (typeof value !== 'string') return true
  if (value.length > 128) return true
  return EMAIL.test(value) || PHONE.test(value) || tokenLike(value) || URL_WITH_DATA.test(value)
}

export function keptAttribute(key: string, value: unknown): boolean {
  return (KEPT_KEYS.has(key) || key.startsWith(KEPT_PREFIX)) && !looksSensitive(value)
}

function scrub(attributes: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(attributes))
    if (!keptAttribute(key, value)) delete attributes[key]
}

export class ScrubbingSpanProcessor implements SpanProcessor {
  constructor(private readonly next: SpanProcessor) {}

  onStart(span: Span, parent: Context): void {
    this.next.onStart(span, parent)
  }

  onEnd(span: ReadableSpan): void {
    if (looksSensitive(span.name)) (span as { name: string }).name = 'redacted'
    // The ended span's own objects: what the exporter will read.
    scrub(span.attributes as Record<string, unknown>)
    for (const event of span.events) if (event.attributes) scrub(event.attributes as Record<string, unknown>)
    for (const link of span.links) if (link.attributes) scrub(link.attributes as Record<string, unknown>)
    const status = span.status as { message?: string }
    if (status.message && looksSensitive(status.message)) status.message = undefined
    this.next.onEnd(span)
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush()
  }

  shutdown(): Promise<void> {
    return this.next.shutdown()
  }
}
