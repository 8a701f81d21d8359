/**
 * The transactional outbox and its webhook relay, shared by every subgraph that publishes events.
 *
 * The outbox is an event table the subgraph already writes in the same transaction as each change (the cases'
 * timeline, the referrals' history), read in key order. For each subscriber the relay keeps, in the same store,
 * a cursor (the last event key delivered) and its retry state. It posts one event at a time, in order, signed with
 * the subscriber's secret; a failed delivery is retried with exponential backoff and nothing after it is sent
 * meanwhile, so nothing is lost while the subscriber or the relay is down, and events arrive in order. Delivery is
 * at least once (a subscriber that answered but whose answer was lost sees the event again): subscribers keep the
 * event ids they have processed.
 *
 * PostgreSQL commits concurrent transactions out of key order, so a cursor could pass a key whose transaction
 * commits later. There the relay notes the highest key it sees, waits until every transaction of this database
 * that was running then has ended, and only then reads up to that key: a smaller key still uncommitted belonged to
 * one of those. This needs the writing transaction to hold its transaction id before it draws the outbox key,
 * which holds because every change writes its own row before its outbox row; and the relay's database user must
 * see the writers' sessions in pg_stat_activity (the same user, or pg_read_all_stats). sqlite has one writer at a
 * time, so keys commit in order.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from './log.js';
import { loggableError } from './format-error.js';
import type { OutboxLag } from './metrics.js';
import { isPostgres, rowsOf } from './store.js';

export const DELIVERY_TABLE = 'outbox_deliveries';
/** How long a round waits for the writers it must outlast before it leaves the events to the next round. */
const WRITERS_WAIT_MS = 5000;

/** A partner system that receives the events as webhooks (configured in `JIEFEN_WEBHOOKS`). */
export interface WebhookSubscriber {
  /** A stable name: the delivery cursor is kept under it. */
  name: string;
  url: string;
  /** Key of the HMAC-SHA-256 signature over the body. */
  secret: string;
  /** Event type prefixes to receive (e.g. `referral.`); all events when absent. */
  types?: string[];
}

export interface OutboxEvent {
  /** Globally unique and stable: `<source>:<key>`. */
  id: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** Where a subgraph's events are: its outbox table, and how a row becomes an event. */
export interface OutboxSource {
  /** Names the source in event ids and in the delivery table (one store may publish more than one source). */
  name: string;
  /** The outbox table and its integer key column, as named in `select()`. */
  keyColumn: string;
  /** The rows of the outbox (joined as needed), without order or limit. */
  select(knex: Knex): Knex.QueryBuilder;
  keyOf(row: Record<string, any>): number;
  toEvent(row: Record<string, any>): OutboxEvent;
}

export interface RelayOptions {
  pollMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Events read per subscriber per round. */
  batch?: number;
  logger: Logger;
}

export const SIGNATURE_HEADER = 'x-jiefen-signature';
export const EVENT_ID_HEADER = 'x-jiefen-event-id';
export const EVENT_TYPE_HEADER = 'x-jiefen-event-type';

/** `sha256=<hex>`: HMAC-SHA-256 of the exact body bytes with the subscriber's secret. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The delivery-state table, created by each publishing store's migration. */
export async function createDeliveryTable(knex: Knex): Promise<void> {
  await knex.schema.createTable(DELIVERY_TABLE, (t) => {
    t.string('source', 32).notNullable();
    t.string('subscriber', 100).notNullable();
    t.bigInteger('cursor').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true });
    t.text('last_error');
    t.string('lease_owner', 64);
    t.timestamp('lease_until', { useTz: true });
    t.bigInteger('delivered').notNullable().defaultTo(0);
    t.primary(['source', 'subscriber']);
  });
}

function backoff(attempts: number, options: RelayOptions): number {
  return Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, attempts - 1));
}

export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly owner = randomUUID();
  private readonly batch: number;

  constructor(
    private readonly knex: Knex,
    private readonly source: OutboxSource,
    private readonly subscribers: WebhookSubscriber[],
    private readonly options: RelayOptions,
  ) {
    this.batch = options.batch ?? 100;
  }

  /**
   * Registers subscribers not seen before at the current end of the outbox (they receive what happens from now on),
   * then polls. Awaited before the service takes requests, so no change made afterwards is missed.
   */
  async start(): Promise<void> {
    if (this.subscribers.length === 0) return;
    const [last] = await this.source.select(this.knex).clearSelect().max({ n: this.source.keyColumn });
    const end = Number(last?.n ?? 0);
    for (const s of this.subscribers) {
      await this.knex(DELIVERY_TABLE)
        .insert({ source: this.source.name, subscriber: s.name, cursor: end, attempts: 0, delivered: 0 })
        .onConflict(['source', 'subscriber'])
        .ignore();
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Each subscriber's events not yet delivered, and its failed attempts in a row (the service's metrics read it). */
  async lag(): Promise<OutboxLag[]> {
    if (this.subscribers.length === 0) return [];
    const states = await this.knex(DELIVERY_TABLE)
      .where({ source: this.source.name })
      .whereIn(
        'subscriber',
        this.subscribers.map((s) => s.name),
      )
      .select('subscriber', 'cursor', 'attempts');
    return Promise.all(
      states.map(async (state: { subscriber: string; cursor: unknown; attempts: unknown }) => {
        const [row] = await this.source
          .select(this.knex)
          .clearSelect()
          .where(this.source.keyColumn, '>', Number(state.cursor))
          .count({ n: '*' });
        return {
          source: this.source.name,
          subscriber: state.subscriber,
          events: Number(row?.n ?? 0),
          attempts: Number(state.attempts),
        };
      }),
    );
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round()
        .catch((error) =>
          this.options.logger.error(
            { err: loggableError(error), source: this.source.name },
            'outbox relay round failed',
          ),
        )
        .finally(() => {
          this.running = null;
          this.schedule(this.options.pollMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** One round: each subscriber that is due gets what it has not received yet. */
  async round(): Promise<void> {
    await Promise.all(this.subscribers.map((s) => this.serve(s)));
  }

  private async serve(subscriber: WebhookSubscriber): Promise<void> {
    const key = { source: this.source.name, subscriber: subscriber.name };
    const now = new Date();
    // A lease, so that two relays of the same store (two processes) never send the same subscriber's events at once.
    const leased = await this.knex(DELIVERY_TABLE)
      .where(key)
      .where((q) => q.whereNull('lease_until').orWhere('lease_until', '<', now.toISOString()))
      .where((q) => q.whereNull('next_attempt_at').orWhere('next_attempt_at', '<=', now.toISOString()))
      .update({ lease_owner: this.owner, lease_until: new Date(now.getTime() + 60_000).toISOString() });
    if (!leased) return;
    try {
      const state = await this.knex(DELIVERY_TABLE).where(key).first();
      let cursor = Number(state.cursor);
      let attempts = Number(state.attempts);
      const rows = await this.pending(cursor);
      for (const row of rows) {
        if (this.stopped) break;
        const event = this.source.toEvent(row);
        const wanted = !subscriber.types || subscriber.types.some((prefix) => event.type.startsWith(prefix));
        const failure = wanted ? await this.deliver(subscriber, event, attempts + 1) : null;
        if (failure) {
          attempts += 1;
          const next = new Date(Date.now() + backoff(attempts, this.options));
          await this.knex(DELIVERY_TABLE)
            .where(key)
            .update({ attempts, next_attempt_at: next.toISOString(), last_error: failure.slice(0, 500) });
          this.options.logger.warn(
            { subscriber: subscriber.name, eventId: event.id, attempts, retryAt: next.toISOString(), reason: failure },
            'webhook delivery failed',
          );
          return;
        }
        cursor = this.source.keyOf(row);
        attempts = 0;
        await this.knex(DELIVERY_TABLE)
          .where(key)
          .update({
            cursor,
            attempts: 0,
            next_attempt_at: null,
            last_error: null,
            ...(wanted ? { delivered: this.knex.raw('delivered + 1') } : {}),
          });
      }
    } finally {
      await this.knex(DELIVERY_TABLE)
        .where({ ...key, lease_owner: this.owner })
        .update({ lease_owner: null, lease_until: null });
    }
  }

  /** Events after the cursor, in key order; on PostgreSQL only up to a key below which every writer has ended. */
  private async pending(cursor: number): Promise<Record<string, any>[]> {
    const after = () => this.source.select(this.knex).where(this.source.keyColumn, '>', cursor);
    if (!isPostgres(this.knex)) return after().orderBy(this.source.keyColumn).limit(this.batch);
    const [top] = await after().clearSelect().max({ n: this.source.keyColumn });
    if (top?.n === null || top?.n === undefined) return [];
    if (!(await this.writersEnded(await this.runningWriters()))) return [];
    return after().where(this.source.keyColumn, '<=', Number(top.n)).orderBy(this.source.keyColumn).limit(this.batch);
  }

  /** Transaction ids of this database's other sessions that hold one now. */
  private async runningWriters(): Promise<string[]> {
    const result = await this.knex.raw(`select backend_xid::text as xid from pg_stat_activity
      where datname = current_database() and backend_xid is not null and pid <> pg_backend_pid()`);
    return rowsOf<{ xid: string }>(result).map((r) => r.xid);
  }

  private async writersEnded(xids: string[]): Promise<boolean> {
    const deadline = Date.now() + WRITERS_WAIT_MS;
    while (xids.length > 0) {
      const result = await this.knex.raw(
        `select backend_xid::text as xid from pg_stat_activity
        where datname = current_database() and backend_xid::text = any(?)`,
        [xids],
      );
      xids = rowsOf<{ xid: string }>(result).map((r) => r.xid);
      if (xids.length === 0) return true;
      if (this.stopped || Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return true;
  }

  /** Null when the subscriber took the event (any 2xx), or why not. */
  private async deliver(subscriber: WebhookSubscriber, event: OutboxEvent, attempt: number): Promise<string | null> {
    const body = JSON.stringify(event);
    try {
      const response = await fetch(subscriber.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [EVENT_ID_HEADER]: event.id,
          [EVENT_TYPE_HEADER]: event.type,
          [SIGNATURE_HEADER]: signBody(body, subscriber.secret),
          'x-jiefen-delivery-attempt': String(attempt),
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok ? null : `HTTP ${response.status}`;
    } catch (error) {
      return (error as Error).cause instanceof Error
        ? ((error as Error).cause as Error).message
        : (error as Error).message;
    }
  }
}

/** Starts a store's relay to the configured subscribers (it does nothing without any). */
export async function startOutboxRelay(
  knex: Knex,
  source: OutboxSource,
  config: { webhooks: WebhookSubscriber[]; outbox: { pollMs: number; retryBaseMs: number; retryMaxMs: number } },
  logger: Logger,
): Promise<OutboxRelay> {
  const relay = new OutboxRelay(knex, source, config.webhooks, { ...config.outbox, logger });
  await relay.start();
  return relay;
}
