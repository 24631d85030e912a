import { z } from 'zod'
import { bool } from './fields.js'

/**
 * OpenTelemetry settings, part of config.ts's one parse of the environment. Tracing runs
 * only when an OTLP endpoint is set; the exporters read the other standard variables
 * (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION) and the SDK its own (OTEL_TRACES_SAMPLER,
 * OTEL_PROPAGATORS, OTEL_RESOURCE_ATTRIBUTES, span limits) themselves.
 */
const otlpUrl = z.url({ protocol: /^https?$/, message: 'expected an http(s) URL of an OTLP/HTTP collector' })
const protocol = z.enum(['http/protobuf', 'http/json'], {
  message: 'expected http/protobuf or http/json (OTLP over HTTP)',
})

export const OtelEnvSchema = {
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(100).optional(),
  OTEL_SDK_DISABLED: bool.optional(),
  OTEL_TRACES_EXPORTER: z.string().optional(),
}

export interface TracingConfig {
  /** Where spans are POSTed: the traces endpoint as given, or the base endpoint + `/v1/traces`. */
  tracesUrl: string
  protocol: 'http/protobuf' | 'http/json'
  serviceName: string
}

type OtelEnv = { [K in keyof typeof OtelEnvSchema]?: z.infer<(typeof OtelEnvSchema)[K]> }

/** Undefined (no tracing at all) unless an endpoint is set and tracing is not turned off. */
export function tracingConfig(e: OtelEnv): TracingConfig | undefined {
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT
  const traces = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
  if (!base && !traces) return undefined
  if (e.OTEL_SDK_DISABLED || e.OTEL_TRACES_EXPORTER?.split(',').includes('none')) return undefined
  return {
    tracesUrl: traces ?? `${base!.replace(/\/+$/, '')}/v1/traces`,
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    serviceName: e.OTEL_SERVICE_NAME ?? 'switchboard',
  }
}
