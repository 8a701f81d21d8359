/**
 * The benchmark's harness: the subgraphs seeded and started as their own processes (sqlite files or PostgreSQL
 * databases), each gateway compared started as its own process, and the load generator run in a process of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { loadConfig, type HubConfig } from '../kit/config.js';
import { seedDemo } from '../seed/seed-demo.js';
import { flagsOf, ROOT, startProcesses, waitUntilReady, type ProcessGroup } from '../scripts/processes.js';
import type { LoadPlan } from './load/graphql-load.js';
import { signDevToken } from '../gateway/dev-token.js';
import { signInternalToken } from '../kit/internal-token.js';

export type Store = 'sqlite' | 'postgres';

export const POSTGRES_URL = process.env.JIEFEN_BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const BENCH_DIR = path.join(ROOT, 'bench');
export const PORTS = { GATEWAY_PORT: '4100', CASES_PORT: '4101', INSTITUTIONS_PORT: '4102', REFERRALS_PORT: '4103' };
export const GATEWAY_URL = `http://127.0.0.1:${PORTS.GATEWAY_PORT}/graphql`;
/**
 * The load generator sends as one principal per role (and the abuse workload anonymously from one address) far faster
 * than a person would: the rate limits still run, with room, so the figures measure the rest of the pipeline.
 */
export const BENCH_RATE_LIMITS = JSON.stringify(
  Object.fromEntries(
    ['admin', 'institution', 'analyst', 'public'].map((role) => [role, { perSecond: 1_000_000, burst: 1_000_000 }]),
  ),
);

export const QUERIES = {
  lookup: 'query Lookup($id: ID!) { case(id: $id) { id status category district submittedAt version } }',
  join: 'query Join($district: String) { cases(first: 20, filter: { district: $district }) { edges { node { id status category institution { id name kind } referrals { id kind status } } } } }',
  mutation:
    'mutation Contact($id: ID!, $v: Int!, $at: DateTime!) { recordRespondentContact(id: $id, contactedAt: $at, willing: true, expectedVersion: $v) { version } }',
  // 100 cases with their party data, asked by an analyst without a grant: every marked value is withheld.
  redaction:
    'query Redaction { cases(first: 100) { edges { node { id status district occurredMonth occurredAt place claims parties { role kind pseudonym name idNumber phone } } } } }',
};

/** The gateways compared. `ours` runs gateway/main.ts; peers run bench/gateways/<name>.ts. */
export const GATEWAY_ENTRIES: Record<
  string,
  { label: string; entry: string; env?: Record<string, string>; auth: 'user' | 'internal' }
> = {
  ours: { label: 'jiefen gateway', entry: 'gateway/main.ts', auth: 'user' },
  // The cost of the gateway's own redaction: the same gateway with its second enforcement off (the subgraph still redacts).
  'ours-policy-off': {
    label: 'jiefen gateway, gateway redaction off',
    entry: 'gateway/main.ts',
    env: { JIEFEN_GATEWAY_REDACTION: 'off' },
    auth: 'user',
  },
  // The abuse workload's attack phase: the rate limits as deployed.
  'ours-default-limits': {
    label: 'jiefen gateway, default rate limits',
    entry: 'gateway/main.ts',
    env: { JIEFEN_RATE_LIMITS: '' },
    auth: 'user',
  },
  apollo: { label: 'bare @apollo/gateway', entry: 'bench/gateways/apollo.ts', auth: 'internal' },
  hive: { label: 'Hive Gateway', entry: 'bench/gateways/hive.ts', auth: 'internal' },
  mercurius: { label: 'mercurius gateway', entry: 'bench/gateways/mercurius.ts', auth: 'internal' },
  'mercurius-fed1': {
    label: 'mercurius gateway (Federation 1 SDL)',
    entry: 'bench/gateways/mercurius.ts',
    env: { BENCH_MERCURIUS_FED1: '1' },
    auth: 'internal',
  },
};

export interface Subgraphs {
  config: HubConfig;
  env: NodeJS.ProcessEnv;
  group: ProcessGroup;
  casesDb: Knex;
  dataDir: string;
}

export interface Fixtures {
  lookupIds: { id: string }[];
  districts: { district: string }[];
  mutationCases: { id: string; seq: number; institution_id: string }[];
}

export async function postgresDatabases(): Promise<Record<string, string> | null> {
  const admin = knexFactory({
    client: 'pg',
    connection: { connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 },
  });
  try {
    const urls: Record<string, string> = {};
    for (const name of ['cases', 'institutions', 'referrals']) {
      const database = `jiefen_bench_${name}`;
      await admin.raw('drop database if exists ?? with (force)', [database]);
      await admin.raw('create database ??', [database]);
      const url = new URL(POSTGRES_URL);
      url.pathname = `/${database}`;
      urls[name] = url.toString();
    }
    return urls;
  } catch (error) {
    console.warn(`PostgreSQL not available at ${POSTGRES_URL}: ${(error as Error).message}`);
    return null;
  } finally {
    await admin.destroy();
  }
}

export async function startSubgraphs(store: Store, cases: number): Promise<Subgraphs | null> {
  const dataDir = path.join(BENCH_DIR, 'data', store);
  fs.rmSync(dataDir, { recursive: true, force: true });
  // APOLLO_TELEMETRY_DISABLED: the bare @apollo/gateway peer would otherwise report usage off this machine.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...PORTS,
    JIEFEN_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    APOLLO_TELEMETRY_DISABLED: 'true',
    JIEFEN_RATE_LIMITS: BENCH_RATE_LIMITS,
  };
  if (store === 'postgres') {
    const urls = await postgresDatabases();
    if (!urls) return null;
    Object.assign(env, {
      CASES_DATABASE_URL: urls.cases,
      INSTITUTIONS_DATABASE_URL: urls.institutions,
      REFERRALS_DATABASE_URL: urls.referrals,
    });
  }
  const config = loadConfig(env);
  process.stdout.write(`seeding ${cases} cases into ${store}… `);
  const seeded = Date.now();
  await seedDemo(config, { cases, institutions: 200, seed: 20261101, reset: true });
  console.log(`${((Date.now() - seeded) / 1000).toFixed(1)} s`);
  const group = startProcesses(
    env,
    path.join(dataDir, 'logs'),
    (_name, detail) => {
      console.error(detail);
      process.exit(1);
    },
    ['cases', 'institutions', 'referrals'],
  );
  for (const port of [PORTS.CASES_PORT, PORTS.INSTITUTIONS_PORT, PORTS.REFERRALS_PORT])
    await waitUntilReady(`http://127.0.0.1:${port}/readyz`);
  const casesDb = config.databaseUrls.cases
    ? knexFactory({ client: 'pg', connection: config.databaseUrls.cases })
    : knexFactory({
        client: 'better-sqlite3',
        connection: { filename: path.join(dataDir, 'cases.sqlite') },
        useNullAsDefault: true,
      });
  return { config, env, group, casesDb, dataDir };
}

export interface GatewayProcess {
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts one gateway as its own process; resolves once it answers a query, rejects with its log's end if it cannot. */
export async function startGateway(
  name: string,
  subgraphs: Subgraphs,
  profileDir = process.env.JIEFEN_PROFILE_DIR,
): Promise<GatewayProcess> {
  const { entry, env } = GATEWAY_ENTRIES[name]!;
  const logFile = path.join(subgraphs.dataDir, 'logs', `gateway-${name}.log`);
  const out = fs.openSync(logFile, 'w');
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(profileDir, `gateway-${name}`)] : [];
  // Our gateway runs with the flags `npm start` gives it; the peers with Node's defaults.
  const flags = entry === 'gateway/main.ts' ? flagsOf('gateway') : [];
  const child = spawn(process.execPath, [...profile, ...flags, '--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...subgraphs.env, ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const tail = () => fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-8).join('\n');
  const started = Date.now();
  // `{ __typename }` needs no token at our gateway (the public directory allows it) and none at a peer.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} stopped while starting:\n${tail()}`);
    const ok = await fetch(GATEWAY_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    }).then(
      async (r) => r.ok && ((await r.json()) as { data?: unknown }).data !== undefined,
      () => false,
    );
    if (ok) return { child, logFile, stop };
    if (Date.now() - started > 60_000) {
      await stop();
      throw new Error(`${name} did not answer within 60 s:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One lookup and one join through the gateway: the error a gateway gives when it cannot serve our schema, or null. */
export async function probe(auth: 'user' | 'internal', subgraphs: Subgraphs, data: Fixtures): Promise<string | null> {
  const principal = { sub: 'bench', role: 'admin' as const };
  const token =
    auth === 'user'
      ? await signDevToken(principal, subgraphs.config.jwt.secret!, 600)
      : await signInternalToken(principal, subgraphs.config.internalSecret);
  for (const [query, variables] of [
    [QUERIES.lookup, data.lookupIds[0]],
    [QUERIES.join, data.districts[0]],
  ] as const) {
    const response = await fetch(GATEWAY_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { errors?: { message: string }[] };
    if (body.errors?.length) return `${query.split('(')[0]} answered: ${body.errors.map((e) => e.message).join('; ')}`;
  }
  return null;
}

export function runLoad(plan: LoadPlan): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(BENCH_DIR, 'load', 'graphql-load.ts'), JSON.stringify(plan)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)!))
        : reject(new Error(`load generator exited with ${code}`)),
    );
  });
}

export function peakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024);
}
