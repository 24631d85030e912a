import type { TracingConfig } from '../config/otel.js'
import { ScrubbingSpanProcessor } from './scrub.js'
import { useTracingApi } from './spans.js'

export interface Tracing {
  /** Exports what is buffered (tests, before a check). */
  flush(): Promise<void>
  /** Exports what is left and stops tracing (shutdown). */
  shutdown(): Promise<void>
}

/**
 * Starts the OpenTelemetry Node SDK: spans batched, scrubbed and sent over OTLP/HTTP as
 * protobuf or JSON. Everything is imported here, on demand, so a process without an
 * OTLP endpoint never loads OpenTelemetry. No auto-instrumentation: Switchboard makes its
 * own spans (server, provider client, refresh-lock wait, jobs) where it knows the route,
 * the provider and what must stay out of a span; no metrics or logs go this way (metrics
 * are Prometheus's, at /metrics).
 */
export async function startTracing(config: TracingConfig): Promise<Tracing> {
  const [api, { NodeSDK }, { BatchSpanProcessor }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ])
  const { OTLPTraceExporter } =
    config.protocol === 'http/json'
      ? await import('@opentelemetry/exporter-trace-otlp-http')
      : await import('@opentelemetry/exporter-trace-otlp-proto')
  const processor = new ScrubbingSpanProcessor(
    new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl })),
  )
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [processor],
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  })
  sdk.start()
  useTracingApi(api)
  return {
    flush: () => processor.forceFlush(),
    async shutdown() {
      useTracingApi(undefined)
      await sdk.shutdown()
    },
  }
}
