import { Agent, errors as undiciErrors, request } from 'undici'
import { ProviderError } from '../errors.js'

/**
 * The one way out to a provider: undici with connect, header and body timeouts, so a
 * slow provider costs a bounded wait and never a hung request. Failures become
 * ProviderError values here and nowhere else.
 */
const agent = new Agent({
  connectTimeout: 3_000,
  headersTimeout: 8_000,
  bodyTimeout: 8_000,
  keepAliveTimeout: 10_000,
})

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

const MAX_BODY_BYTES = 2 * 1024 * 1024

export type ProviderCallObserver = (
  provider: string,
  endpoint: string,
  outcome: string,
  seconds: number,
) => void
const observers = new Set<ProviderCallObserver>()

/** Adds an observer of every provider call (metrics); returns its removal. */
export function onCall(o: ProviderCallObserver): () => void {
  observers.add(o)
  return () => observers.delete(o)
}

function report(provider: string, url: string, outcome: string, started: number): void {
  const seconds = (performance.now() - started) / 1000
  for (const o of observers) {
    try {
      o(provider, url, outcome, seconds)
    } catch {
      // An observer never breaks a provider call.
    }
  }
}

export async function providerRequest(provider: string, req: ProviderRequest): Promise<ProviderResponse> {
  const started = performance.now()
  try {
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      dispatcher: agent,
      signal: AbortSignal.timeout(req.timeoutMs ?? 8_000),
    })
    const body = await readBounded(res.body)
    const contentType = String(res.headers['content-type'] ?? '')
    report(
      provider,
      req.url,
      res.statusCode < 400 ? 'ok' : `http_${Math.floor(res.statusCode / 100)}xx`,
      started,
    )
    return { status: res.statusCode, contentType, body }
  } catch (err) {
    report(
      provider,
      req.url,
      /timeout|abort/i.test((err as Error)?.name ?? '') ? 'timeout' : 'network_error',
      started,
    )
    if (err instanceof ProviderError) throw err
    throw new ProviderError(
      provider,
      'provider_unavailable',
      `${labelOf(provider)} did not answer in time or could not be reached.`,
      describeNetworkError(err),
    )
  }
}

async function readBounded(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new Error(`response body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function describeNetworkError(err: unknown): Error {
  if (err instanceof undiciErrors.UndiciError || err instanceof Error)
    return new Error(`${err.name}: ${err.message}`)
  return new Error(String(err))
}

export function labelOf(provider: string): string {
  return provider === 'nexmo' ? 'Nexmo' : provider
}

/** Parses JSON or throws ProviderError `provider_bad_response`, keeping a short excerpt as cause. */
export function parseJson(provider: string, body: string): unknown {
  try {
    return JSON.parse(body)
  } catch (err) {
    throw new ProviderError(
      provider,
      'provider_bad_response',
      `${labelOf(provider)} sent an answer Switchboard could not read.`,
      new Error(`invalid JSON (${body.length} bytes)`, { cause: err }),
    )
  }
}
