/**
 * OpenTelemetry tracing (the official SDK), on only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) names a collector: then each service exports its spans there over OTLP/HTTP,
 * and takes and passes on the W3C `traceparent` of every request. Without it no provider is registered: nothing is
 * recorded or sent, and the HTTP front skips its span code altogether (`tracingOn`).
 *
 * Spans: the server span of each request (kit/http.ts, the referrals' Fastify hooks), Apollo Gateway's own
 * (`gateway.request`, `gateway.validate`, `gateway.plan`, `gateway.execute`, `gateway.fetch` per subgraph call) and a
 * span per store statement (`observeStore`). Attributes name routes, statuses, outcomes, operation names and types,
 * subgraphs and SQL verbs only: never a document, variables, a statement's text or any value it binds.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Knex } from './store.js';
import type { Outcome } from './request-report.js';

let provider: NodeTracerProvider | undefined;

/** Whether spans are recorded in this process. */
export function tracingOn(): boolean {
  return provider !== undefined;
}

/**
 * Registers the process's tracer provider when the environment names a collector; resolves to a flush-and-stop to
 * call on shutdown, or null when tracing stays off. `service` names the process in its spans' resource.
 */
export function startTracing(
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): { shutdown(): Promise<void>; flush(): Promise<void> } | null {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return null;
  if (provider) throw new Error('tracing is already started in this process');
  const started = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || `jiefen-${service}` }),
    spanProcessors: [
      new BatchSpanProcessor(
        new OTLPTraceExporter({
          url:
            env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
            `${env.OTEL_EXPORTER_OTLP_ENDPOINT!.replace(/\/$/, '')}/v1/traces`,
        }),
      ),
    ],
  });
  // The default propagator is W3C trace context (with baggage), and the context manager AsyncLocalStorage.
  started.register();
  provider = started;
  return {
    flush: () => started.forceFlush(),
    async shutdown() {
      await started.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
      provider = undefined;
    },
  };
}

/**
 * Runs a request's handling under its server span (child of the caller's `traceparent`), so the spans it starts
 * nest under it; `end` closes it with what the request came to.
 */
export function traced<T>(
  service: string,
  method: string | undefined,
  route: string,
  headers: IncomingHttpHeaders,
  handle: (end: (status: number, outcome: Outcome, operationName: string | null) => void) => T,
): T {
  const span = startServerSpan(service, method, route, propagation.extract(context.active(), headers));
  return context.with(trace.setSpan(context.active(), span), () =>
    handle((status, outcome, operationName) => endServerSpan(span, status, outcome, operationName)),
  );
}

/** Adds the active span's `traceparent` to an outgoing request's headers. */
export function propagate(headers: Record<string, string>): void {
  if (provider) propagation.inject(context.active(), headers);
}

/** The server span of one request, child of the caller's. */
export function startServerSpan(service: string, method: string | undefined, route: string, parent: Context): Span {
  return trace.getTracer(`jiefen-${service}`).startSpan(
    `${method ?? 'GET'} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': method ?? 'GET', 'http.route': route },
    },
    parent,
  );
}

/** Closes a server span with what the request came to. */
export function endServerSpan(span: Span, status: number, outcome: Outcome, operationName: string | null): void {
  span.setAttributes({
    'http.response.status_code': status,
    'jiefen.outcome': outcome,
    ...(operationName ? { 'graphql.operation.name': operationName } : {}),
  });
  if (outcome === 'failed') span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** A span per statement of this store, child of the span active when it was sent (none outside a request). */
export function observeStore(knex: Knex, service: string): void {
  if (!provider) return;
  const tracer = trace.getTracer(`jiefen-${service}`);
  const system = knex.client.config.client === 'pg' ? 'postgresql' : 'sqlite';
  const open = new Map<string, Span>();
  knex.on('query', (query: { __knexQueryUid?: string; method?: string }) => {
    if (!query.__knexQueryUid || !trace.getActiveSpan()) return;
    const operation = (query.method ?? 'raw').toLowerCase();
    open.set(
      query.__knexQueryUid,
      tracer.startSpan(`db ${operation}`, {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system.name': system, 'db.operation.name': operation },
      }),
    );
  });
  const end = (failed: boolean) => (_response: unknown, query: { __knexQueryUid?: string }) => {
    const span = query?.__knexQueryUid ? open.get(query.__knexQueryUid) : undefined;
    if (!span) return;
    open.delete(query.__knexQueryUid!);
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  knex.on('query-response', end(false));
  knex.on('query-error', end(true));
}
