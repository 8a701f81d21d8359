/**
 * With a collector named, every service exports OpenTelemetry spans over OTLP/HTTP, one trace per request across
 * the offices: the caller's W3C `traceparent` is the parent of the gateway's server span; Apollo Gateway plans and
 * fetches under it; each subgraph's server span is a child of the fetch that called it, its store statements
 * children of that. No span carries a variable, a value or a document. Without a collector nothing is started.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../kit/tracing.js';
import { startHub, type Hub } from './support/hub.js';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  scope: string;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP collector: keeps every span it is sent (JSON encoding). */
const received: ExportedSpan[] = [];
const collector = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    for (const resourceSpans of body.resourceSpans ?? []) {
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          const attributes = Object.fromEntries(
            (span.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [
              a.key,
              Object.values(a.value)[0],
            ]),
          );
          received.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            scope: scopeSpans.scope.name,
            attributes,
          });
        }
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

let hub: Hub;
let tracing: ReturnType<typeof startTracing>;
beforeAll(async () => {
  await new Promise<void>((done) => collector.listen(0, '127.0.0.1', done));
  tracing = startTracing('hub', {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
  });
  hub = await startHub({ cases: 20 });
});
afterAll(async () => {
  await hub?.close();
  await tracing?.shutdown();
  collector.close();
});

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';

describe('tracing', () => {
  it('is not started without a collector named', () => {
    expect(startTracing('gateway', {})).toBeNull();
  });

  it("follows one request through the gateway, each subgraph it calls and their stores, under the caller's trace", async () => {
    const referral = await hub.knex.referrals('referrals').first('id', 'case_id');
    const response = await fetch(hub.urls.gateway, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await hub.token('admin')}`,
        traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
      },
      body: JSON.stringify({
        query: 'query ReferralWithCase($id: ID!) { referral(id: $id) { id case { id institution { id name } } } }',
        variables: { id: referral.id },
      }),
    });
    expect((await response.json()).errors).toBeUndefined();
    await tracing!.flush();
    const spans = received.filter((span) => span.traceId === TRACE_ID);
    const one = (scope: string, name: string) => {
      const found = spans.filter((span) => span.scope === scope && span.name === name);
      expect(found, `${scope} ${name}`).toHaveLength(1);
      return found[0]!;
    };

    const gateway = one('jiefen-gateway', 'POST /graphql');
    expect(gateway.parentSpanId).toBe(CALLER_SPAN);
    expect(gateway.attributes).toMatchObject({
      'http.route': '/graphql',
      'http.response.status_code': 200,
      'graphql.operation.name': 'ReferralWithCase',
      'jiefen.outcome': 'ok',
    });
    const request = one('apollo/gateway-js', 'gateway.request');
    expect(request.parentSpanId).toBe(gateway.spanId);
    expect(spans.filter((span) => span.name === 'gateway.plan').map((span) => span.parentSpanId)).toEqual([
      request.spanId,
    ]);
    const fetches = new Set(spans.filter((span) => span.name === 'gateway.fetch').map((span) => span.spanId));
    for (const office of ['referrals', 'cases', 'institutions']) {
      const server = one(`jiefen-${office}`, 'POST /graphql');
      expect(fetches.has(server.parentSpanId!), `${office} called from a gateway.fetch`).toBe(true);
      expect(server.attributes['graphql.operation.name']).toBe('ReferralWithCase');
      const statements = spans.filter((span) => span.scope === `jiefen-${office}` && span.name.startsWith('db '));
      expect(statements.length, `${office} store statements`).toBeGreaterThan(0);
      for (const statement of statements) expect(statement.parentSpanId).toBe(server.spanId);
    }
    // No span names the values the request carried, nor its document.
    const text = JSON.stringify(spans);
    expect(text).not.toContain(referral.id);
    expect(text).not.toContain(referral.case_id);
    expect(text).not.toContain('institution { id name }');
  });

  it('records no variable or message of a refused request', async () => {
    await fetch(hub.urls.gateway, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await hub.token('admin')}`,
        traceparent: `00-${'1'.repeat(32)}-${CALLER_SPAN}-01`,
      },
      body: JSON.stringify({
        query: 'query($first: Int) { cases(first: $first) { totalCount } }',
        variables: { first: 'TRACEMARK张三' },
      }),
    });
    await tracing!.flush();
    const spans = received.filter((span) => span.traceId === '1'.repeat(32));
    expect(spans.map((span) => span.name)).toContain('POST /graphql');
    expect(JSON.stringify(spans)).not.toContain('TRACEMARK');
  });
});
