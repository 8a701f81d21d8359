/**
 * Every service serves Prometheus metrics at /metrics, and the series move with what the hub does: GraphQL requests
 * by listed operation name (others as `other`), outcome and first error code, with their latency; the gateway's
 * subgraph calls (answered, timed out, failing fast), each circuit's state, party-data values withheld by category
 * and rate-limit refusals by role; each store's pool; each webhook subscriber's lag. No label carries request text.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../gateway/service.js';
import { DEFAULT_LIMITS } from '../gateway/limits.js';
import { RATE_LIMITS } from '../gateway/rate-limits.js';
import { createLogger } from '../kit/log.js';
import { ServiceMetrics } from '../kit/metrics.js';
import { freePort } from '../scripts/processes.js';
import { MUTATIONS } from './support/cases.js';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { scrape } from './support/metrics.js';

let hub: Hub;
/** A subgraph that takes calls and never answers. */
let frozen: http.Server;
let frozenGateway: RunningGateway;
let limitedGateway: RunningGateway;
const silent = createLogger('gateway', 'fatal');

beforeAll(async () => {
  hub = await startHub({
    cases: 30,
    keptAnswers: false,
    metrics: { operations: ['CaseCount'] },
    // A partner nobody answers for: the relay's first delivery fails, and the next waits a minute.
    webhooks: [
      { name: 'partner', url: `http://127.0.0.1:${await freePort()}/hook`, secret: 'partner-webhook-secret-0001' },
    ],
    outbox: { pollMs: 50, retryBaseMs: 60_000, retryMaxMs: 60_000 },
  });
  frozen = http.createServer(() => {
    /* never answers */
  });
  await new Promise<void>((done) => frozen.listen(0, '127.0.0.1', done));
  const frozenUrl = `http://127.0.0.1:${(frozen.address() as AddressInfo).port}/graphql`;
  frozenGateway = await startGateway(
    {
      ...hub.config,
      subgraphUrls: { ...hub.config.subgraphUrls, referrals: frozenUrl },
      subgraphTimeoutsMs: { ...hub.config.subgraphTimeoutsMs, referrals: 100 },
    },
    silent,
  );
  limitedGateway = await startGateway(hub.config, silent, {
    settings: {
      limits: DEFAULT_LIMITS,
      rateLimits: { ...RATE_LIMITS, public: { perSecond: 1, burst: 1, refusalWeight: 1 } },
    },
    rateLimitKeyPrefix: `metrics-test-${process.pid}`,
  });
});
afterAll(async () => {
  await frozenGateway?.close();
  await limitedGateway?.close();
  frozen?.closeAllConnections();
  frozen?.close();
  await hub?.close();
});

const SERVICES = ['gateway', 'cases', 'institutions', 'referrals'] as const;
const REQUESTS = 'jiefen_graphql_requests_total';

describe('/metrics', () => {
  it.each(SERVICES)('%s serves Prometheus text without a user or internal token', async (service) => {
    const response = await fetch(hub.urls[service].replace(/\/graphql$/, '/metrics'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toContain('# TYPE jiefen_graphql_requests_total counter');
    expect(text).toContain(`process_cpu_user_seconds_total{service="${service}"}`);
  });

  it('counts requests by listed operation name, outcome and first error code, with their latency', async () => {
    const [gatewayBefore, casesBefore] = await Promise.all([scrape(hub.urls.gateway), scrape(hub.urls.cases)]);
    dataOf(await hub.query('query CaseCount { cases(first: 1) { totalCount } }'));
    dataOf(await hub.query('query CaseCount { cases(first: 1) { totalCount } }'));
    dataOf(await hub.query('query NotListed { cases(first: 1) { totalCount } }'));
    expect((await hub.query('{ noSuchField }')).status).toBe(400);
    // Apollo Server's own pipeline (a GET; variables that do not coerce) reports as the lean path does.
    const get = new URL(hub.urls.gateway);
    get.searchParams.set('query', 'query CaseCount { cases(first: 1) { totalCount } }');
    expect(
      (
        await fetch(get, {
          headers: { authorization: `Bearer ${await hub.token('admin')}`, 'apollo-require-preflight': 'true' },
        })
      ).status,
    ).toBe(200);
    expect(
      (await hub.query('query CaseCount($first: Int) { cases(first: $first) { totalCount } }', { first: 'one' }))
        .status,
    ).toBe(400);
    const [gateway, cases] = await Promise.all([scrape(hub.urls.gateway), scrape(hub.urls.cases)]);
    const moved = (after: typeof gateway, before: typeof gateway, name: string, labels: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);

    expect(moved(gateway, gatewayBefore, REQUESTS, { operation: 'CaseCount', outcome: 'ok', code: 'none' })).toBe(3);
    expect(
      moved(gateway, gatewayBefore, REQUESTS, { operation: 'CaseCount', outcome: 'error', code: 'BAD_USER_INPUT' }),
    ).toBe(1);
    expect(moved(gateway, gatewayBefore, REQUESTS, { operation: 'other', outcome: 'ok', code: 'none' })).toBe(1);
    expect(
      moved(gateway, gatewayBefore, REQUESTS, {
        operation: 'anonymous',
        outcome: 'error',
        code: 'GRAPHQL_VALIDATION_FAILED',
      }),
    ).toBe(1);
    expect(
      moved(gateway, gatewayBefore, 'jiefen_graphql_request_duration_seconds_count', {
        operation: 'CaseCount',
        outcome: 'ok',
      }),
    ).toBe(3);
    // The subgraph counts the calls made for the client's operation under the client's operation name.
    expect(moved(cases, casesBefore, REQUESTS, { operation: 'CaseCount', outcome: 'ok', code: 'none' })).toBe(3);
    expect(moved(cases, casesBefore, REQUESTS, { operation: 'other', outcome: 'ok', code: 'none' })).toBe(1);
    expect(gateway.has(REQUESTS, { operation: 'NotListed' })).toBe(false);
  });

  it('carries no text of a request: not its operation name, nor its variables', async () => {
    await hub.query('query OPNAMEMARK($first: Int) { cases(first: $first) { totalCount } }', { first: 'VARIABLEMARK' });
    for (const service of SERVICES) {
      const { text } = await scrape(hub.urls[service]);
      expect(text).not.toContain('OPNAMEMARK');
      expect(text).not.toContain('VARIABLEMARK');
    }
  });

  it('times subgraph calls by outcome: answered, timed out, then failing fast with the circuit open', async () => {
    const before = await scrape(hub.urls.gateway);
    dataOf(await hub.query('{ cases(first: 1) { totalCount } }'));
    const after = await scrape(hub.urls.gateway);
    expect(
      after.value('jiefen_subgraph_call_duration_seconds_count', { subgraph: 'cases', outcome: 'answered' }) -
        before.value('jiefen_subgraph_call_duration_seconds_count', { subgraph: 'cases', outcome: 'answered' }),
    ).toBe(1);
    expect(after.value('jiefen_subgraph_circuit_state', { subgraph: 'cases', state: 'closed' })).toBe(1);

    const token = await hub.token('admin');
    const referralsQuery = { query: '{ referrals(first: 1) { totalCount } }' };
    // Five calls in a row without an answer open the circuit (SUBGRAPH_POLICY.failuresToOpen); the sixth fails fast.
    for (let i = 0; i < 6; i++) await hub.post(frozenGateway.url, referralsQuery, { authorization: `Bearer ${token}` });
    const frozenScrape = await scrape(frozenGateway.url);
    expect(
      frozenScrape.value('jiefen_subgraph_call_duration_seconds_count', { subgraph: 'referrals', outcome: 'timeout' }),
    ).toBe(5);
    expect(
      frozenScrape.value('jiefen_subgraph_call_duration_seconds_count', {
        subgraph: 'referrals',
        outcome: 'circuit_open',
      }),
    ).toBe(1);
    expect(frozenScrape.value('jiefen_subgraph_circuit_state', { subgraph: 'referrals', state: 'open' })).toBe(1);
    expect(frozenScrape.value('jiefen_subgraph_circuit_state', { subgraph: 'referrals', state: 'closed' })).toBe(0);
    expect(frozenScrape.value(REQUESTS, { outcome: 'failed', code: 'SUBGRAPH_UNAVAILABLE' })).toBe(6);
  });

  it('counts party-data values withheld, by category', async () => {
    const before = await scrape(hub.urls.gateway);
    // The operator lists every case and, without a grant, sees none of its party data.
    const result = await hub.query('{ cases(first: 2) { edges { node { id place } } } }', {}, { role: 'admin' });
    expect(result.body.extensions?.redaction).toEqual({ withheld: { DISPUTE_PLACE: 2 } });
    const after = await scrape(hub.urls.gateway);
    expect(
      after.value('jiefen_withheld_values_total', { category: 'DISPUTE_PLACE' }) -
        before.value('jiefen_withheld_values_total', { category: 'DISPUTE_PLACE' }),
    ).toBe(2);
  });

  it('counts rate-limit refusals by role', async () => {
    const anonymous = { query: '{ districts { code } }' };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await hub.post(limitedGateway.url, anonymous)).status);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(1);
    const metrics = await scrape(limitedGateway.url);
    expect(metrics.value('jiefen_rate_limit_refusals_total', { role: 'public' })).toBe(
      statuses.filter((status) => status === 429).length,
    );
    expect(metrics.value(REQUESTS, { code: 'RATE_LIMITED', outcome: 'error' })).toBe(
      statuses.filter((status) => status === 429).length,
    );
  });

  it("shows each store's connection pool", async () => {
    for (const service of ['cases', 'institutions', 'referrals'] as const) {
      const metrics = await scrape(hub.urls[service]);
      expect(metrics.has('jiefen_store_pool_connections', { state: 'used' })).toBe(true);
      expect(metrics.has('jiefen_store_pool_connections', { state: 'pending' })).toBe(true);
      expect(
        metrics.value('jiefen_store_pool_connections', { state: 'used' }) +
          metrics.value('jiefen_store_pool_connections', { state: 'free' }),
      ).toBeGreaterThanOrEqual(1);
    }
  });

  it("shows a webhook subscriber's lag behind the outbox, and its failed attempts", async () => {
    const lag = async () =>
      (await scrape(hub.urls.cases)).value('jiefen_outbox_lag_events', { source: 'cases', subscriber: 'partner' });
    expect(await lag()).toBe(0);
    const row = await hub.knex.cases('cases').where('status', 'DISPATCHED').first('id', 'version', 'institution_id');
    dataOf(
      await hub.query(
        MUTATIONS.accept,
        { id: row.id, v: row.version },
        { role: 'institution', org: row.institution_id },
      ),
    );
    expect(await lag()).toBe(1);
    const deadline = Date.now() + 10_000;
    let attempts = 0;
    while (attempts === 0 && Date.now() < deadline) {
      attempts = (await scrape(hub.urls.cases)).value('jiefen_outbox_failed_attempts', {
        source: 'cases',
        subscriber: 'partner',
      });
      await new Promise((settle) => setTimeout(settle, 50));
    }
    expect(attempts).toBe(1);
  });
});

describe('who may scrape', () => {
  it('with a metrics token set, a scrape must present it', async () => {
    const guarded = await startGateway(
      { ...hub.config, metrics: { ...hub.config.metrics, token: 'scrape-token-0123456789' } },
      silent,
    );
    try {
      const metricsUrl = guarded.url.replace(/\/graphql$/, '/metrics');
      expect((await fetch(metricsUrl)).status).toBe(401);
      expect((await fetch(metricsUrl, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);
      expect(
        (await fetch(metricsUrl, { headers: { authorization: `Bearer ${await hub.token('admin')}` } })).status,
      ).toBe(401);
      expect((await fetch(metricsUrl, { headers: { authorization: 'Bearer scrape-token-0123456789' } })).status).toBe(
        200,
      );
    } finally {
      await guarded.close();
    }
  });

  it('in production, metrics are not served without a token', async () => {
    const metrics = new ServiceMetrics('gateway', { operations: [], production: true });
    const answer = await metrics.scrape(undefined);
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toEqual({ error: 'metrics are served only with JIEFEN_METRICS_TOKEN set' });
  });
});
