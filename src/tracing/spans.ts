import type * as OtelApi from '@opentelemetry/api'

/**
 * Switchboard's own spans, through `@opentelemetry/api` once `startTracing` (start.ts) has
 * loaded it; until then every helper here is a plain call, so with tracing off nothing of
 * OpenTelemetry is loaded and a span costs one `if`. Attributes are only ever our own bounded
 * words (provider, route template, queue); the scrubbing processor (scrub.ts) still
 * checks every one before export.
 */
type Api = typeof OtelApi
type Attributes = Record<string, string | number | boolean>

let otel: { api: Api; tracer: OtelApi.Tracer } | undefined

/** Called by start.ts with the API the SDK registered with; `undefined` turns spans off again. */
export function useTracingApi(api: Api | undefined): void {
  otel = api ? { api, tracer: api.trace.getTracer('switchboard') } : undefined
}

export function tracingOn(): boolean {
  return otel !== undefined
}

/** W3C trace context headers, as carried in job data and sent on webhook deliveries. */
export interface TraceCarrier {
  traceparent?: string
  tracestate?: string
}

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer'

export interface SpanOptions {
  kind?: SpanKindName
  attributes?: Attributes
  /** Spans this one follows from (a job links to the request that queued it). */
  links?: TraceCarrier[]
  /** Continue this context instead of the active one (an incoming `traceparent`). */
  parent?: TraceCarrier | Record<string, string | string[] | undefined>
}

export interface SpanHandle {
  set(key: string, value: string | number | boolean): void
  rename(name: string): void
  /** Marks the span failed; `reason` is a bounded word (an error's name), never a message. */
  fail(reason: string): void
  end(): void
}

const NOOP: SpanHandle = { set() {}, rename() {}, fail() {}, end() {} }

const KINDS: Record<SpanKindName, number> = { internal: 0, server: 1, client: 2, producer: 3, consumer: 4 }

/** Ending twice (a wait ended early, then by a `finally`) is allowed: the first end counts. */
function handle(api: Api, span: OtelApi.Span): SpanHandle {
  return {
    set: (key, value) => void (span.isRecording() && span.setAttribute(key, value)),
    rename: (name) => void (span.isRecording() && span.updateName(name)),
    fail: (reason) =>
      void (span.isRecording() && span.setStatus({ code: api.SpanStatusCode.ERROR, message: reason })),
    end: () => void (span.isRecording() && span.end()),
  }
}

function contextOf(api: Api, carrier: SpanOptions['parent']): OtelApi.Context {
  return api.propagation.extract(api.ROOT_CONTEXT, carrier ?? {})
}

function begin(name: string, opts: SpanOptions): { span: OtelApi.Span; ctx: OtelApi.Context } | undefined {
  if (!otel) return undefined
  const { api, tracer } = otel
  const parent = opts.parent ? contextOf(api, opts.parent) : api.context.active()
  const links = (opts.links ?? [])
    .map((c) => api.trace.getSpanContext(contextOf(api, c)))
    .filter((sc): sc is OtelApi.SpanContext => sc !== undefined && api.isSpanContextValid(sc))
    .map((context) => ({ context }))
  const span = tracer.startSpan(
    name,
    { kind: KINDS[opts.kind ?? 'internal'], attributes: opts.attributes, links },
    parent,
  )
  return { span, ctx: api.trace.setSpan(parent, span) }
}

/** A span that is not made active (its caller ends it): a wait measured across awaits. */
export function startSpan(name: string, opts: SpanOptions = {}): SpanHandle {
  const started = begin(name, opts)
  return started && otel ? handle(otel.api, started.span) : NOOP
}

/** Runs `fn` inside a new active span, ended when `fn` settles; a throw marks it failed. */
export async function withSpan<T>(
  name: string,
  opts: SpanOptions,
  fn: (span: SpanHandle) => Promise<T>,
): Promise<T> {
  const started = begin(name, opts)
  if (!started || !otel) return fn(NOOP)
  const { api } = otel
  const span = handle(api, started.span)
  return api.context.with(started.ctx, async () => {
    try {
      return await fn(span)
    } catch (err) {
      span.fail(err instanceof Error ? err.name : 'error')
      throw err
    } finally {
      span.end()
    }
  })
}

/**
 * Runs `next` (Express's) inside a new active span; the caller ends it. Used for server
 * spans, whose end is the response's `finish`, not a promise.
 */
export function runInSpan(name: string, opts: SpanOptions, next: () => void): SpanHandle {
  const started = begin(name, opts)
  if (!started || !otel) {
    next()
    return NOOP
  }
  otel.api.context.with(started.ctx, next)
  return handle(otel.api, started.span)
}

/** The active span's context as W3C headers (empty with tracing off or no span). */
export function traceCarrier(): TraceCarrier {
  if (!otel) return {}
  const carrier: TraceCarrier = {}
  otel.api.propagation.inject(otel.api.context.active(), carrier)
  return carrier
}
