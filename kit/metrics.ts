/**
 * Prometheus metrics of one service (prom-client, a registry per service, so several services share a process in
 * tests), served at `GET /metrics`. Every label takes its values from a bounded set fixed by the configuration or
 * the code, never from a request: an operation is named only when `JIEFEN_METRICS_OPERATIONS` (or, on the gateway,
 * the trusted-documents manifest) lists it, else counted as `other`; error codes, roles and categories outside their
 * tables as `other`. No series carries an id, a principal or a value.
 *
 * The scrape is not a user's request: it carries no user or internal token. With `JIEFEN_METRICS_TOKEN` set it
 * must present that token (`Authorization: Bearer …`); in production, where the gateway's port faces clients,
 * `/metrics` is not served at all without one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ErrorCode } from './errors.js';
import type { Knex } from './store.js';
import type { Outcome } from './request-report.js';

/** The label of everything outside a label's bounded set. */
export const OTHER = 'other';

/** Seconds: from a kept answer (a millisecond or two) to past the longest subgraph deadline. */
export const DURATION_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const CODES = new Set<string>([
  ...Object.values(ErrorCode),
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

export interface MetricsSettings {
  /** The bearer token a scrape must present (`JIEFEN_METRICS_TOKEN`). */
  token?: string;
  /** Operation names counted under their own name (`JIEFEN_METRICS_OPERATIONS`). */
  operations: readonly string[];
  production: boolean;
}

/** A bounded label: the value when the set holds it, else `other`. */
export function bounded(value: string | null | undefined, allowed: ReadonlySet<string>): string {
  return value && allowed.has(value) ? value : OTHER;
}

interface Scrape {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** What a relay reports of each subscriber (kit/outbox.ts). */
export interface OutboxLag {
  source: string;
  subscriber: string;
  /** Events written and not yet delivered. */
  events: number;
  /** Failed attempts at the next event, in a row. */
  attempts: number;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly operations: Set<string>;
  private readonly requests: Counter<'operation' | 'outcome' | 'code'>;
  private readonly durations: Histogram<'operation' | 'outcome'>;

  constructor(
    readonly service: string,
    private readonly settings: MetricsSettings,
  ) {
    this.operations = new Set(settings.operations);
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.requests = this.counter(
      'jiefen_graphql_requests_total',
      'GraphQL requests answered, by operation, outcome and first error code (none: no error)',
      ['operation', 'outcome', 'code'],
    );
    this.durations = this.histogram(
      'jiefen_graphql_request_duration_seconds',
      "Time from a GraphQL request's arrival to its answer sent, queueing included",
      ['operation', 'outcome'],
    );
  }

  /** Counts these operation names under their own (the gateway's trusted documents). */
  allowOperations(names: Iterable<string>): void {
    for (const name of names) this.operations.add(name);
  }

  /** One GraphQL request answered. */
  request(operationName: string | null, outcome: Outcome, code: string | undefined, seconds: number): void {
    const operation = operationName === null ? 'anonymous' : bounded(operationName, this.operations);
    this.requests.inc({ operation, outcome, code: code === undefined ? 'none' : bounded(code, CODES) });
    this.durations.observe({ operation, outcome }, seconds);
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets: DURATION_BUCKETS, registers: [this.registry] });
  }

  /** A gauge read at each scrape. */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: (gauge: Gauge<L>) => void | Promise<void>,
  ): Gauge<L> {
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        await read(this);
      },
    });
  }

  /** The requests the HTTP front is working on, and those waiting their turn (kit/http.ts admission). */
  observeAdmission(admission: { readonly runningCount: number; readonly waitingCount: number }): void {
    this.gauge('jiefen_admission_in_progress', 'GraphQL requests being worked on', [], (g) =>
      g.set(admission.runningCount),
    );
    this.gauge('jiefen_admission_queue_length', 'GraphQL requests waiting for a turn', [], (g) =>
      g.set(admission.waitingCount),
    );
  }

  /** The store's connection pool: connections in use, idle, and acquisitions waiting for one. */
  observeStore(knex: Knex): void {
    this.gauge(
      'jiefen_store_pool_connections',
      "The store's pooled connections by state (pending: acquisitions waiting)",
      ['state'],
      (g) => {
        const pool = knex.client.pool as
          { numUsed(): number; numFree(): number; numPendingAcquires(): number } | undefined;
        if (!pool) return;
        g.set({ state: 'used' }, pool.numUsed());
        g.set({ state: 'free' }, pool.numFree());
        g.set({ state: 'pending' }, pool.numPendingAcquires());
      },
    );
  }

  /** Each webhook subscriber's lag behind the outbox (read from the store at each scrape). */
  observeOutbox(relay: { lag(): Promise<OutboxLag[]> }): void {
    // Both gauges are read in the same scrape: one query of the store serves them.
    let reading: Promise<OutboxLag[]> | undefined;
    const read = () =>
      (reading ??= relay
        .lag()
        .catch(() => [] as OutboxLag[])
        .finally(() => {
          reading = undefined;
        }));
    this.gauge(
      'jiefen_outbox_lag_events',
      'Events written to the outbox and not yet delivered, per subscriber',
      ['source', 'subscriber'],
      async (g) => {
        for (const lag of await read()) g.set({ source: lag.source, subscriber: lag.subscriber }, lag.events);
      },
    );
    this.gauge(
      'jiefen_outbox_failed_attempts',
      "Failed attempts in a row at a subscriber's next event",
      ['source', 'subscriber'],
      async (g) => {
        for (const lag of await read()) g.set({ source: lag.source, subscriber: lag.subscriber }, lag.attempts);
      },
    );
  }

  /** The answer to `GET /metrics` with this `Authorization` header. */
  async scrape(authorization: string | undefined): Promise<Scrape> {
    const json = { 'content-type': 'application/json; charset=utf-8' };
    const { token, production } = this.settings;
    if (!token && production)
      return {
        status: 404,
        headers: json,
        body: JSON.stringify({ error: 'metrics are served only with JIEFEN_METRICS_TOKEN set' }),
      };
    if (token) {
      const given = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
      if (!timingSafeEqual(digest(given), digest(token))) {
        return {
          status: 401,
          headers: { ...json, 'www-authenticate': 'Bearer' },
          body: JSON.stringify({
            error: 'a scrape needs the metrics token: Authorization: Bearer <JIEFEN_METRICS_TOKEN>',
          }),
        };
      }
    }
    return {
      status: 200,
      headers: { 'content-type': this.registry.contentType, 'cache-control': 'no-store' },
      body: await this.registry.metrics(),
    };
  }
}
