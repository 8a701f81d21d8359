/**
 * npm run bench [-- --cases N --seconds S --only case-mutations --stores sqlite,postgres]
 * JIEFEN_PROFILE_DIR=dir writes a CPU profile of each service (open it in Chrome DevTools).
 * Starts the hub as separate processes on generated data, runs each workload from a load generator in its own
 * process, and writes bench/report.md and bench/report.json. Targets are printed next to each figure.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import knexFactory from 'knex';
import { loadConfig, type HubConfig } from '../kit/config.js';
import { signDevToken } from '../gateway/dev-token.js';
import { seedDemo } from '../seed/seed-demo.js';
import { ROOT, startProcesses, waitUntilReady, type ProcessGroup } from '../scripts/processes.js';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '20000' }, seconds: { type: 'string', default: '10' }, only: { type: 'string' }, stores: { type: 'string', default: 'sqlite,postgres' } } });
const CASES = Number(values.cases);
const SECONDS = Number(values.seconds);
if (!(CASES >= 1000) || !(SECONDS >= 1)) {
  console.error('--cases must be at least 1000 and --seconds at least 1');
  process.exit(2);
}
const POSTGRES_URL = process.env.JIEFEN_BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const BENCH_DIR = path.join(ROOT, 'bench');
const PORTS = { GATEWAY_PORT: '4100', CASES_PORT: '4101', INSTITUTIONS_PORT: '4102', REFERRALS_PORT: '4103' };

type Store = 'sqlite' | 'postgres';

interface Hub {
  config: HubConfig;
  group: ProcessGroup;
  gatewayUrl: string;
  casesDb: ReturnType<typeof knexFactory>;
  close(): Promise<void>;
}

async function postgresDatabases(): Promise<Record<string, string> | null> {
  const admin = knexFactory({ client: 'pg', connection: { connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 } });
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

async function startHub(store: Store): Promise<Hub | null> {
  const dataDir = path.join(BENCH_DIR, 'data', store);
  fs.rmSync(dataDir, { recursive: true, force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, ...PORTS, JIEFEN_DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'development' };
  if (store === 'postgres') {
    const urls = await postgresDatabases();
    if (!urls) return null;
    Object.assign(env, { CASES_DATABASE_URL: urls.cases, INSTITUTIONS_DATABASE_URL: urls.institutions, REFERRALS_DATABASE_URL: urls.referrals });
  }
  const config = loadConfig(env);
  process.stdout.write(`seeding ${CASES} cases into ${store}… `);
  const seeded = Date.now();
  await seedDemo(config, { cases: CASES, institutions: 200, seed: 20261101, reset: true });
  console.log(`${((Date.now() - seeded) / 1000).toFixed(1)} s`);
  const group = startProcesses(env, path.join(dataDir, 'logs'), (_name, detail) => { console.error(detail); process.exit(1); });
  await waitUntilReady(`http://127.0.0.1:${PORTS.GATEWAY_PORT}/readyz`);
  const casesDb = config.databaseUrls.cases
    ? knexFactory({ client: 'pg', connection: config.databaseUrls.cases })
    : knexFactory({ client: 'sqlite3', connection: { filename: path.join(dataDir, 'cases.sqlite') }, useNullAsDefault: true });
  return {
    config, group, casesDb,
    gatewayUrl: `http://127.0.0.1:${PORTS.GATEWAY_PORT}/graphql`,
    async close() { await casesDb.destroy(); await group.stop(); },
  };
}

/** User + system CPU seconds a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

function runLoad(script: string, plan: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'load', script), JSON.stringify(plan)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    child.once('exit', (code) => code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`${script} exited with ${code}`)));
  });
}

interface Row { workload: string; store: string; figure: string; value: number | string; target?: string; met?: boolean }

async function caseMutations(store: Store, hub: Hub): Promise<Row[]> {
  const clients = 50;
  const cases = await hub.casesDb('cases').where('status', 'ACCEPTED').whereNotNull('institution_id').orderBy('seq').limit(clients).select('id', 'seq', 'version', 'institution_id');
  const before = new Map<string, number>();
  for (const c of cases) before.set(c.id, Number((await hub.casesDb('case_events').where('case_seq', c.seq).count({ n: '*' }).first())!.n));
  const plan = {
    gatewayUrl: hub.gatewayUrl, durationMs: SECONDS * 1000, warmupMs: 2000,
    clients: await Promise.all(cases.map(async (c) => ({ caseId: c.id, version: Number(c.version), token: await signDevToken({ sub: 'bench', role: 'institution', org: c.institution_id }, hub.config.jwt.secret!) }))),
  };
  const gatewayPid = hub.group.children.get('gateway')!.pid!;
  const casesPid = hub.group.children.get('cases')!.pid!;
  const cpuBefore = cpuSeconds(gatewayPid);
  const casesCpuBefore = cpuSeconds(casesPid);
  const result = await runLoad('case-mutations.ts', plan);
  const cpuAfter = cpuSeconds(gatewayPid);
  const casesCpuAfter = cpuSeconds(casesPid);
  // Lost updates: every success must have raised the version by one and written one event.
  let lost = 0;
  for (const c of cases) {
    const after = await hub.casesDb('cases').where('id', c.id).first();
    const events = Number((await hub.casesDb('case_events').where('case_seq', c.seq).count({ n: '*' }).first())!.n);
    const applied = result.successes[c.id] ?? 0;
    lost += Math.abs(Number(after.version) - Number(c.version) - applied) + Math.abs(events - before.get(c.id)! - applied);
  }
  const total = Object.values(result.successes as Record<string, number>).reduce((a, b) => a + b, 0);
  const rows: Row[] = [
    { workload: 'status mutation, 50 clients', store, figure: 'mutations per second', value: Math.round(result.perSecond), ...(store === 'sqlite' ? { target: '≥ 1000', met: result.perSecond >= 1000 } : {}) },
    { workload: 'status mutation, 50 clients', store, figure: 'p50 / p95 / p99 latency (ms)', value: `${result.p50?.toFixed(1)} / ${result.p95?.toFixed(1)} / ${result.p99?.toFixed(1)}` },
    { workload: 'status mutation, 50 clients', store, figure: 'lost updates (of ' + total + ' applied)', value: lost, target: '0', met: lost === 0 },
    { workload: 'status mutation, 50 clients', store, figure: 'errors', value: result.errors, target: '0', met: result.errors === 0 },
    { workload: 'status mutation, 50 clients', store, figure: 'gateway CPU per mutation (µs)', value: Math.round(((cpuAfter - cpuBefore) / total) * 1e6) },
    { workload: 'status mutation, 50 clients', store, figure: 'cases subgraph CPU per mutation (µs)', value: Math.round(((casesCpuAfter - casesCpuBefore) / total) * 1e6) },
  ];
  if (result.errorSamples.length) console.warn('error samples:', result.errorSamples);
  return rows;
}

const WORKLOADS: Record<string, (store: Store, hub: Hub) => Promise<Row[]>> = { 'case-mutations': caseMutations };

const rows: Row[] = [];
for (const store of (['sqlite', 'postgres'] as const).filter((s) => values.stores!.split(',').includes(s))) {
  const hub = await startHub(store);
  if (!hub) {
    rows.push({ workload: 'all', store, figure: 'skipped', value: `PostgreSQL not reachable at ${POSTGRES_URL}` });
    continue;
  }
  try {
    for (const [name, workload] of Object.entries(WORKLOADS)) {
      if (values.only && values.only !== name) continue;
      console.log(`${name} on ${store}…`);
      rows.push(...await workload(store, hub));
    }
  } finally {
    await hub.close();
  }
}

const packages = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')).packages as Record<string, { version: string }>;
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version,
  packages: Object.fromEntries(['@apollo/gateway', '@apollo/server', '@apollo/subgraph', 'graphql', 'mercurius', 'knex', 'sqlite3', 'pg'].map((p) => [p, packages[`node_modules/${p}`]?.version])),
  cases: CASES, seconds: SECONDS, at: new Date().toISOString(),
};
fs.writeFileSync(path.join(BENCH_DIR, 'report.json'), JSON.stringify({ machine, rows }, null, 2) + '\n');
const table = ['| workload | store | figure | value | target | met |', '| --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.workload} | ${r.store} | ${r.figure} | ${r.value} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`)];
fs.writeFileSync(path.join(BENCH_DIR, 'report.md'), `# jiefen-hub benchmark report

Generated by \`npm run bench -- --cases ${CASES} --seconds ${SECONDS}\` on ${machine.at}.

Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}.
Packages: ${Object.entries(machine.packages).map(([k, v]) => `${k} ${v}`).join(', ')}.

The gateway, the subgraphs and the load generator run as separate processes on the same machine and share its
processors. Each workload warms up for 2 s, then is measured for ${SECONDS} s.

${table.join('\n')}
`);
console.log(table.join('\n'));
