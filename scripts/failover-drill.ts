/**
 * A failure drill on the real processes, shared by the failure suite (test/failover.test.ts) and the benchmark
 * (`npm run bench -- --workloads failover`): the four services as their own supervised processes on free ports over
 * a fresh seeded data directory, and a bounded mixed load of reads (each needing known offices) and status
 * mutations through the gateway, every answer kept with its timing, every acknowledged write kept to be found in
 * the store afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { loadConfig, type HubConfig } from '../kit/config.js';
import { signDevToken } from '../gateway/dev-token.js';
import { seedDemo } from '../seed/seed-demo.js';
import { freePort, startProcesses, waitUntilReady, type ProcessGroup, type ServiceName } from './processes.js';

export type Office = 'cases' | 'institutions' | 'referrals';

/** The reads of the drill, each with the offices it needs. */
export const DRILL_READS = {
  cases: { needs: ['cases'], query: '{ cases(first: 5) { edges { node { id status } } } }' },
  institutions: { needs: ['institutions'], query: '{ institutions(first: 5) { edges { node { id name } } } }' },
  join: {
    needs: ['cases', 'institutions', 'referrals'],
    query: '{ cases(first: 5) { edges { node { id status institution { name } referrals { id } } } } }',
  },
} as const satisfies Record<string, { needs: Office[]; query: string }>;
export type ReadKind = keyof typeof DRILL_READS;

const CONTACT =
  'mutation($id: ID!, $at: DateTime!, $v: Int!) { recordRespondentContact(id: $id, contactedAt: $at, willing: true, expectedVersion: $v) { version } }';

export interface Sample {
  kind: ReadKind | 'write';
  /** When the request was sent and answered, ms on the drill's clock (performance.now()). */
  sentAt: number;
  answeredAt: number;
  /**
   * `ok`: every field answered; `partial`: SUBGRAPH_UNAVAILABLE errors only (the fields of the offices that did not
   * answer are null, the rest served); `failed`: any other error, or no answer from the gateway at all.
   */
  outcome: 'ok' | 'partial' | 'failed';
  /** The subgraphs and paths SUBGRAPH_UNAVAILABLE errors named. */
  unavailable: { subgraph: string; path: (string | number)[] | undefined }[];
  data?: unknown;
  /** Another error's code, or the transport's failure (for `failed`). */
  detail?: string;
}

export interface DrillHub {
  config: HubConfig;
  dataDir: string;
  urls: Record<ServiceName, string>;
  group: ProcessGroup;
  /** The cases store, read directly (acknowledged writes are looked for in it). */
  casesDb: Knex;
  /** Sends a signal to one service's current process. */
  signal(name: ServiceName, signal: NodeJS.Signals): void;
  /** Resolves when `name`'s own /readyz answers 200 (polled every 25 ms), with the instant it did. */
  readyAt(name: ServiceName, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

/** The hub as processes, supervised (a killed service is started again), over a fresh seeded sqlite directory. */
export async function startDrillHub(options: {
  cases: number;
  institutions: number;
  env?: Record<string, string>;
}): Promise<DrillHub> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiefen-drill-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JIEFEN_DATA_DIR: dataDir,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    APOLLO_TELEMETRY_DISABLED: 'true',
    GATEWAY_PORT: String(await freePort()),
    CASES_PORT: String(await freePort()),
    INSTITUTIONS_PORT: String(await freePort()),
    REFERRALS_PORT: String(await freePort()),
    ...options.env,
  };
  const config = loadConfig(env);
  await seedDemo(config, { cases: options.cases, institutions: options.institutions, seed: 14 });
  const group = startProcesses(env, path.join(dataDir, 'logs'), () => {}, { restart: true });
  const base = (port: number) => `http://127.0.0.1:${port}`;
  const urls: Record<ServiceName, string> = {
    gateway: base(config.ports.gateway),
    cases: base(config.ports.cases),
    institutions: base(config.ports.institutions),
    referrals: base(config.ports.referrals),
  };
  const casesDb = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: path.join(dataDir, 'cases.sqlite') },
    useNullAsDefault: true,
  });
  const close = async () => {
    await group.stop();
    await casesDb.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    for (const url of Object.values(urls)) await waitUntilReady(`${url}/readyz`);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    config,
    dataDir,
    urls,
    group,
    casesDb,
    close,
    signal(name, signal) {
      group.children.get(name)!.kill(signal);
    },
    async readyAt(name, timeoutMs = 60_000) {
      const started = performance.now();
      for (;;) {
        const ok = await fetch(`${urls[name]}/readyz`, { signal: AbortSignal.timeout(500) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return performance.now();
        if (performance.now() - started > timeoutMs) throw new Error(`${name} not ready within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

interface WriterCase {
  id: string;
  institutionId: string;
  version: number;
  events: number;
}

/** A bounded load: `readers` loops of reads (kinds in turn) and `writers` loops of status mutations, each on its own case. */
export class DrillLoad {
  readonly samples: Sample[] = [];
  /** Versions confirmed to clients, per case. */
  readonly acknowledged = new Map<string, number[]>();
  private running = true;
  private loops: Promise<void>[] = [];

  private constructor(
    private readonly gatewayUrl: string,
    private readonly cases: WriterCase[],
    private readonly tokens: Map<string, string>,
  ) {}

  /** Starts the load; writers take ACCEPTED cases from the store, noting their version and events now. */
  static async start(hub: DrillHub, readers: number, writers: number, stopAfterMs = 120_000): Promise<DrillLoad> {
    const rows = await hub
      .casesDb('cases')
      .where('status', 'ACCEPTED')
      .whereNotNull('institution_id')
      .orderBy('seq')
      .limit(writers)
      .select('id', 'seq', 'institution_id', 'version');
    const cases: WriterCase[] = [];
    for (const row of rows)
      cases.push({
        id: row.id,
        institutionId: row.institution_id,
        version: Number(row.version),
        events: await eventCount(hub.casesDb, row.id),
      });
    const tokens = new Map<string, string>([
      ['admin', await signDevToken({ sub: 'drill', role: 'admin' }, hub.config.jwt.secret!, 3600)],
    ]);
    for (const c of cases)
      tokens.set(
        c.id,
        await signDevToken({ sub: 'drill', role: 'institution', org: c.institutionId }, hub.config.jwt.secret!, 3600),
      );
    const load = new DrillLoad(`${hub.urls.gateway}/graphql`, cases, tokens);
    const kinds = Object.keys(DRILL_READS) as ReadKind[];
    for (let i = 0; i < readers; i++) load.loops.push(load.readLoop(kinds, i));
    for (const c of cases) load.loops.push(load.writeLoop(c));
    // Bounded in time whatever its caller does.
    setTimeout(() => {
      load.running = false;
    }, stopAfterMs).unref();
    return load;
  }

  /** Stops the load and waits for the requests in flight. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** The writers' cases as they started (version and timeline length). */
  get writerCases(): readonly WriterCase[] {
    return this.cases;
  }

  private async readLoop(kinds: ReadKind[], offset: number): Promise<void> {
    for (let turn = offset; this.running; turn++) {
      const kind = kinds[turn % kinds.length]!;
      this.samples.push(await this.send(kind, DRILL_READS[kind].query, {}, this.tokens.get('admin')!));
    }
  }

  private async writeLoop(c: WriterCase): Promise<void> {
    let version = c.version;
    const confirmed: number[] = [];
    this.acknowledged.set(c.id, confirmed);
    while (this.running) {
      const sample = await this.send(
        'write',
        CONTACT,
        { id: c.id, at: new Date(Date.now() - 60_000).toISOString(), v: version },
        this.tokens.get(c.id)!,
      );
      this.samples.push(sample);
      const answered = (sample.data as { recordRespondentContact?: { version?: unknown } } | undefined)
        ?.recordRespondentContact?.version;
      if (typeof answered === 'number') {
        confirmed.push(answered);
        version = answered;
      } else if (sample.detail?.startsWith('CONFLICT ')) {
        // A write that committed but whose answer was lost (the subgraph died first) shows up as a conflict here.
        version = Number(sample.detail.slice('CONFLICT '.length));
      } else if (sample.outcome !== 'ok') {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  private async send(
    kind: Sample['kind'],
    query: string,
    variables: Record<string, unknown>,
    token: string,
  ): Promise<Sample> {
    const sentAt = performance.now();
    try {
      const response = await fetch(this.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await response.json()) as {
        data?: Record<string, unknown> | null;
        errors?: { message?: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
      };
      const answeredAt = performance.now();
      const errors = body.errors ?? [];
      const unavailable = errors
        .filter((e) => e.extensions?.code === 'SUBGRAPH_UNAVAILABLE')
        .map((e) => ({ subgraph: String(e.extensions!.subgraph), path: e.path }));
      const other = errors.find((e) => e.extensions?.code !== 'SUBGRAPH_UNAVAILABLE');
      // The other error's code (and a conflict's current version), else what the first unavailable office's error said.
      const detail = other
        ? `${other.extensions?.code} ${other.extensions?.currentVersion ?? ''}`.trim()
        : errors[0]?.message;
      const outcome = other || (!errors.length && !body.data) ? 'failed' : unavailable.length ? 'partial' : 'ok';
      return { kind, sentAt, answeredAt, outcome, unavailable, data: body.data ?? undefined, detail };
    } catch (error) {
      return {
        kind,
        sentAt,
        answeredAt: performance.now(),
        outcome: 'failed',
        unavailable: [],
        detail: (error as Error).message,
      };
    }
  }
}

async function eventCount(db: Knex, id: string): Promise<number> {
  const row = await db('case_events')
    .whereIn('case_seq', db('cases').where('id', id).select('seq'))
    .count({ n: '*' })
    .first();
  return Number(row!.n);
}

/**
 * Acknowledged writes missing from the store. Each status change raises the case's version by one and writes one
 * timeline event in the same transaction, so a write confirmed with version v is in the store when v is above the
 * starting version and at most the stored one, no two writes were confirmed the same version, and the store holds
 * one event per version step. Counted per case after the services settled.
 */
export async function lostWrites(db: Knex, load: DrillLoad): Promise<{ acknowledged: number; lost: number }> {
  let acknowledged = 0;
  let lost = 0;
  for (const c of load.writerCases) {
    const confirmed = load.acknowledged.get(c.id) ?? [];
    acknowledged += confirmed.length;
    const row = await db('cases').where('id', c.id).first('version');
    const stored = Number(row.version);
    const kept = new Set(confirmed.filter((v) => v > c.version && v <= stored));
    const events = await eventCount(db, c.id);
    lost += confirmed.length - kept.size + Math.abs(events - c.events - (stored - c.version));
  }
  return { acknowledged, lost };
}

/** The samples sent in [from, to), of the given kinds. */
export function samplesBetween(
  samples: readonly Sample[],
  from: number,
  to: number,
  kinds: readonly Sample['kind'][],
): Sample[] {
  return samples.filter((s) => s.sentAt >= from && s.sentAt < to && kinds.includes(s.kind));
}

/** The first instant at or after `from` when a request of these kinds was sent that was then answered in full. */
export function firstAnsweredInFull(
  samples: readonly Sample[],
  from: number,
  kinds: readonly Sample['kind'][],
): number | undefined {
  return samples
    .filter((s) => s.sentAt >= from && kinds.includes(s.kind) && s.outcome === 'ok')
    .reduce<number | undefined>(
      (first, s) => (first === undefined || s.answeredAt < first ? s.answeredAt : first),
      undefined,
    );
}
