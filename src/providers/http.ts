import { setImmediate as nextTurn } from 'node:timers/promises'
import { Agent, request, type Dispatcher } from 'undici'
import type { ProviderId } from './types.js'
import { withSpan } from '../tracing/spans.js'

/**
 * The one way out to a provider: undici with connect, header and body timeouts, so a slow
 * provider costs a bounded wait and never a hung request. It says what happened on the wire
 * (an answer, or a {@link TransportError}); what that means to a user is decided by each
 * provider's `errors.ts`.
 */
export interface ProviderResponse {
  status: number
  contentType: string
  body: string
}

export interface ProviderRequest {
  method: 'GET' | 'POST' | 'DELETE'
  url: string
  headers?: Record<string, string>
  body?: string
  /** Overall deadline for this call, ms. */
  timeoutMs?: number
}

/** Sees every provider call once it ends (metrics, benchmarks); `endpoint` is the full URL. */
export type ProviderCallObserver = (
  provider: string,
  endpoint: string,
  outcome: string,
  seconds: number,
) => void

/** Why a call brought back no answer to read: too slow, too large, or no connection at all. */
export class TransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'too_large' | 'unreachable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'TransportError'
  }
}

/**
 * Resolves once the provider calls made before it have been written. undici writes a request
 * on a kept-alive socket in the check phase after it was made (a setImmediate: bytes the
 * server sent on the idle socket are read first), so CPU work started now would run ahead of
 * them; one turn more comes after them. For work that can wait for the answers anyway.
 */
export async function afterRequestsWritten(): Promise<void> {
  await nextTurn()
  await nextTurn()
}

export interface HttpClientOptions {
  /** The undici dispatcher calls go through; by default one keep-alive Agent per client. */
  dispatcher?: Dispatcher
  observers?: ProviderCallObserver[]
  /** An answer larger than this is refused unread (default 2 MiB). */
  maxBodyBytes?: number
}

export class HttpClient {
  private readonly dispatcher: Dispatcher
  private readonly observers: Set<ProviderCallObserver>
  private readonly maxBodyBytes: number

  constructor(opts: HttpClientOptions = {}) {
    this.dispatcher =
      opts.dispatcher ??
      new Agent({
        connectTimeout: 3_000,
        headersTimeout: 8_000,
        bodyTimeout: 8_000,
        keepAliveTimeout: 10_000,
      })
    this.observers = new Set(opts.observers)
    this.maxBodyBytes = opts.maxBodyBytes ?? 2 * 1024 * 1024
  }

  /** Adds an observer of every later call; returns its removal. */
  observe(o: ProviderCallObserver): () => void {
    this.observers.add(o)
    return () => this.observers.delete(o)
  }

  /** One call; resolves with any HTTP answer, rejects only with a {@link TransportError}. */
  async request(provider: ProviderId, req: ProviderRequest): Promise<ProviderResponse> {
    const endpoint = providerEndpoint(req.url)
    const attributes = {
      'switchboard.provider': provider,
      'switchboard.endpoint': endpoint,
      'http.request.method': req.method,
    }
    return withSpan(`${req.method} ${provider}`, { kind: 'client', attributes }, async (span) => {
      const res = await this.call(provider, req)
      span.set('http.response.status_code', res.status)
      if (res.status >= 500) span.fail(`http_${res.status}`)
      return res
    })
  }

  private async call(provider: ProviderId, req: ProviderRequest): Promise<ProviderResponse> {
    const started = performance.now()
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(req.timeoutMs ?? 8_000),
      })
      const body = await this.readBounded(res.headers['content-length'], res.body)
      const contentType = String(res.headers['content-type'] ?? '')
      const outcome = res.statusCode < 400 ? 'ok' : `http_${Math.floor(res.statusCode / 100)}xx`
      this.report(provider, req.url, outcome, started)
      return { status: res.statusCode, contentType, body }
    } catch (err) {
      const failure = toTransportError(err)
      const outcome = failure.kind === 'unreachable' ? 'network_error' : failure.kind
      this.report(provider, req.url, outcome, started)
      throw failure
    }
  }

  /** Closes the pooled connections (tests, shutdown). */
  close(): Promise<void> {
    return this.dispatcher.close()
  }

  private async readBounded(
    declared: string | string[] | undefined,
    body: Dispatcher.ResponseData['body'],
  ): Promise<string> {
    const limit = this.maxBodyBytes
    const tooLarge = () => new TransportError('too_large', `response body over ${limit} bytes`)
    if (typeof declared === 'string' && Number(declared) > limit) {
      body.destroy()
      throw tooLarge()
    }
    const chunks: Buffer[] = []
    let size = 0
    // Leaving the loop by a throw destroys the stream: the rest is never downloaded.
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > limit) throw tooLarge()
      chunks.push(chunk)
    }
    return Buffer.concat(chunks).toString('utf8')
  }

  private report(provider: string, url: string, outcome: string, started: number): void {
    const seconds = (performance.now() - started) / 1000
    for (const o of this.observers) {
      try {
        o(provider, url, outcome, seconds)
      } catch {
        // An observer never breaks a provider call.
      }
    }
  }
}

function toTransportError(err: unknown): TransportError {
  if (err instanceof TransportError) return err
  const e = err instanceof Error ? err : new Error(String(err))
  // Only name and message: an undici error's other fields may hold request headers.
  const cause = new Error(`${e.name}: ${e.message}`)
  // AbortSignal.timeout → TimeoutError; undici → ConnectTimeoutError, HeadersTimeoutError, BodyTimeoutError.
  const kind = /timeout|abort/i.test(e.name) ? 'timeout' : 'unreachable'
  return new TransportError(kind, cause.message, { cause })
}

/**
 * A provider endpoint as a bounded label: the URL's path (no host, query or fragment),
 * with id-like segments (numbers, long hex or base64-ish tokens) replaced by `:id`.
 */
export function providerEndpoint(endpoint: string): string {
  let label = endpointLabels.get(endpoint)
  if (label === undefined) {
    // Parsing a URL and testing each segment costs more than the call's other bookkeeping,
    // and every call is labelled twice (its span, its metric): a page asks for the same few.
    if (endpointLabels.size >= 1_000) endpointLabels.clear()
    endpointLabels.set(endpoint, (label = labelOf(endpoint)))
  }
  return label
}

const endpointLabels = new Map<string, string>()

function labelOf(endpoint: string): string {
  let path = endpoint
  if (/^https?:\/\//i.test(endpoint)) {
    try {
      path = new URL(endpoint).pathname
    } catch {
      path = 'invalid'
    }
  } else {
    path = endpoint.replace(/[?#].*$/, '')
  }
  const segments = path.split('/').map((s) => (/^\d+$/.test(s) || /^[A-Za-z0-9_-]{24,}$/.test(s) ? ':id' : s))
  return segments.join('/').slice(0, 100) || '/'
}
