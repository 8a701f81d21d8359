/**
 * npm run bench:dashboard -- [--cases N] [--institutions N] [--seconds S] [--clients C] [--writes W1,W2] [--reuse] [--ports P]
 * The dashboard benchmark on sqlite: seeds N cases (default 1,000,000) and N institutions (default 7,000) into
 * bench/data/dashboard (--reuse keeps a data set seeded before), starts the hub as separate processes, runs
 * bench/load/dashboard.ts through the gateway with an analyst token, and writes bench/dashboard-report.md.
 * Passes: nothing kept, kept statistics, kept answers, and kept answers while W case changes a second go through
 * the gateway, for each W (default 0.25 and 2; those passes change some cases of the data set: their
 * respondent-contact time). The gateway listens on port P (default 4110), the subgraphs on the next three.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../kit/store.js';
import { migrations as casesMigrations } from '../subgraphs/cases/migrations/index.js';
import { loadConfig } from '../kit/config.js';
import { signDevToken } from '../gateway/dev-token.js';
import { seedDemo } from '../seed/seed-demo.js';
import { ROOT, startProcesses, waitUntilReady } from '../scripts/processes.js';
import { runDashboardWorkload } from './load/dashboard.js';
import { allInstitutionsQuery, dashboardVariables } from './load/dashboard-query.js';
import { DISTRICT_CODES } from '../kit/reference-data.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000000' },
    institutions: { type: 'string', default: '7000' },
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '10' },
    writes: { type: 'string', default: '0.25,2' },
    reuse: { type: 'boolean', default: false },
    ports: { type: 'string', default: '4110' },
  },
});
const CASES = Number(values.cases);
const INSTITUTIONS = Number(values.institutions);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const WRITE_RATES = values.writes
  .split(',')
  .map(Number)
  .filter((w) => w > 0);
const dataDir = path.join(ROOT, 'bench', 'data', 'dashboard');
const PORT = Number(values.ports);
const PORTS = {
  GATEWAY_PORT: String(PORT),
  CASES_PORT: String(PORT + 1),
  INSTITUTIONS_PORT: String(PORT + 2),
  REFERRALS_PORT: String(PORT + 3),
};
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...PORTS,
  JIEFEN_DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  NODE_ENV: 'development',
};
const config = loadConfig(env);

/** CPU time (user + system, ms) of each service process so far, from /proc, and of this load generator. */
function cpuMsOf(children: Map<string, { pid?: number }>): Record<string, number> {
  const ticks = 100; // USER_HZ on Linux
  const out: Record<string, number> = {};
  for (const [name, child] of children) {
    try {
      const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out[name] = ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks;
    } catch {
      /* not Linux, or gone: no figure */
    }
  }
  const own = process.cpuUsage();
  out['load generator'] = (own.user + own.system) / 1000;
  return out;
}

/**
 * What the analyst is given of every institution's year, against the true counts in the store: how many rows with at
 * least 5 true cases are published (not 0), and the mean absolute noise.
 */
async function publication(gatewayUrl: string, token: string, period: { from: string; to: string }) {
  type Answer = {
    data?: Record<string, { edges: { node: { id: string; caseStats: { received: number } | null } }[] }>;
    errors?: unknown[];
  };
  let body: Answer = {};
  // On a loaded machine a subgraph can time out: asked again, up to three times, for a complete answer.
  for (let attempt = 0; attempt < 3 && (!body.data || body.errors); attempt++) {
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: allInstitutionsQuery(DISTRICT_CODES, 'counts'), variables: period }),
    });
    body = (await response.json()) as Answer;
  }
  if (!body.data || body.errors)
    throw new Error(`the all-institutions answer failed three times: ${JSON.stringify(body.errors).slice(0, 300)}`);
  const published = new Map(
    Object.values(body.data).flatMap((page) => page.edges.map((e) => [e.node.id, e.node.caseStats!.received] as const)),
  );
  const { since, until } = dashboardVariables(DISTRICT_CODES[0]!, period);
  const store = await openStore({ name: 'cases', dataDir, migrations: casesMigrations });
  const truth = new Map(
    (
      await store('cases')
        .whereNotNull('institution_id')
        .where('submitted_at', '>=', since)
        .where('submitted_at', '<', until)
        .groupBy('institution_id')
        .select('institution_id')
        .count({ n: '*' })
    ).map((r: any) => [String(r.institution_id), Number(r.n)] as const),
  );
  await store.destroy();
  let withFive = 0;
  let publishedWithFive = 0;
  let noise = 0;
  let withCases = 0;
  let smallPublishedZero = 0;
  let small = 0;
  for (const [id, received] of published) {
    const n = truth.get(id) ?? 0;
    if (n > 0) {
      withCases++;
      noise += Math.abs(received - n);
    }
    if (n >= 5) {
      withFive++;
      if (received > 0) publishedWithFive++;
    }
    if (n >= 1 && n <= 4) {
      small++;
      if (received === 0) smallPublishedZero++;
    }
  }
  return {
    institutions: published.size,
    withFive,
    publishedWithFive,
    meanAbsoluteNoise: withCases ? noise / withCases : 0,
    withCases,
    small,
    smallPublishedZero,
  };
}
let shared: Awaited<ReturnType<typeof publication>> | null = null;

let seedSeconds: number | null = null;
if (!values.reuse || !fs.existsSync(path.join(dataDir, 'cases.sqlite'))) {
  console.log(`seeding ${CASES} cases and ${INSTITUTIONS} institutions…`);
  const started = Date.now();
  await seedDemo(config, { cases: CASES, institutions: INSTITUTIONS, seed: 20261101, reset: true });
  seedSeconds = (Date.now() - started) / 1000;
}
// Peak memory of this process, which did the seeding (kilobytes on Linux).
const seedPeakMiB = Math.round(process.resourceUsage().maxRSS / 1024);

/**
 * The workload four times, on the same data: with nothing kept (JIEFEN_KEPT_READS and JIEFEN_KEPT_ANSWERS off:
 * what every answer costs right after a write), with the subgraphs' computed statistics kept, with the gateway's
 * whole answers kept as well (the default), and the default again while case changes go through the gateway at a
 * steady rate (each raises the cube's generation, so kept statistics and answers are dropped and computed again).
 */
const MODES: { key: string; label: string; cache: 'on' | 'off'; answers: 'on' | 'off'; writes: number }[] = [
  { key: 'cold', label: 'nothing kept', cache: 'off', answers: 'off', writes: 0 },
  { key: 'kept', label: 'kept statistics', cache: 'on', answers: 'off', writes: 0 },
  { key: 'answers', label: 'kept answers', cache: 'on', answers: 'on', writes: 0 },
  ...WRITE_RATES.map((w) => ({
    key: `busy ${w}/s`,
    label: `kept answers, ${w} case changes/s`,
    cache: 'on' as const,
    answers: 'on' as const,
    writes: w,
  })),
];
type WorkloadResult = Awaited<ReturnType<typeof runDashboardWorkload>>;
const results = {} as Record<string, WorkloadResult>;
/** A pass's result (every pass has run by the time the report is written). */
const of = (key: string): WorkloadResult =>
  results[key] ??
  (() => {
    throw new Error(`no result for pass ${key}`);
  })();
const writerTotals = { sent: 0, failed: 0, failures: [] as string[] };

/**
 * Case changes sent through the gateway at a steady rate (recordRespondentContact by each case's institution, as the
 * status-mutation benchmark sends them): every change raises the cube's generation in its transaction.
 */
async function startWriter(perSecond: number, gatewayUrl: string): Promise<{ stop(): Promise<void> }> {
  const store = await openStore({ name: 'cases', dataDir, migrations: casesMigrations });
  const cases: { id: string; version: number; institution_id: string }[] = await store('cases')
    .where('status', 'ACCEPTED')
    .whereNotNull('institution_id')
    .orderBy('seq', 'desc')
    .limit(1000)
    .select('id', 'version', 'institution_id');
  await store.destroy();
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (org: string) => {
    if (!tokens.has(org))
      tokens.set(org, signDevToken({ sub: 'bench-writer', role: 'institution', org }, config.jwt.secret!));
    return tokens.get(org)!;
  };
  const mutation =
    'mutation Contact($id: ID!, $v: Int!, $at: DateTime!) { recordRespondentContact(id: $id, contactedAt: $at, willing: true, expectedVersion: $v) { version } }';
  let next = 0;
  const inFlight = new Set<Promise<void>>();
  const change = async () => {
    const target = cases[next++ % cases.length]!;
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenOf(target.institution_id)}` },
      body: JSON.stringify({
        query: mutation,
        variables: { id: target.id, v: target.version, at: new Date(Date.now() - 60_000).toISOString() },
      }),
    });
    const body = (await response.json()) as {
      data?: { recordRespondentContact?: { version: number } };
      errors?: unknown[];
    };
    const version = body.data?.recordRespondentContact?.version;
    if (typeof version === 'number') {
      target.version = version;
      writerTotals.sent++;
      return;
    }
    writerTotals.failed++;
    if (writerTotals.failures.length < 3) writerTotals.failures.push(JSON.stringify(body.errors).slice(0, 300));
  };
  const timer = setInterval(() => {
    const sent = change().catch((error: Error) => {
      writerTotals.failed++;
      writerTotals.failures.push(error.message);
    });
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  }, 1000 / perSecond);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}

for (const mode of MODES) {
  const modeEnv = { ...env, JIEFEN_KEPT_READS: mode.cache, JIEFEN_KEPT_ANSWERS: mode.answers };
  const group = startProcesses(modeEnv, path.join(dataDir, 'logs'), (_name, detail) => {
    console.error(detail);
    process.exit(1);
  });
  const gatewayUrl = `http://127.0.0.1:${PORTS.GATEWAY_PORT}/graphql`;
  try {
    await waitUntilReady(`http://127.0.0.1:${PORTS.GATEWAY_PORT}/readyz`, 120_000);
    console.log(`measuring: ${mode.label}…`);
    const writer = mode.writes > 0 ? await startWriter(mode.writes, gatewayUrl) : null;
    try {
      // The last 12 months of the demo world (it ends on 2026-11-01).
      const token = await signDevToken({ sub: 'bench-analyst', role: 'analyst' }, config.jwt.secret!);
      if (mode.writes === 0 && !shared)
        shared = await publication(gatewayUrl, token, { from: '2025-11', to: '2026-10' });
      results[mode.key] = await runDashboardWorkload({
        gatewayUrl,
        token,
        cpuMs: () => cpuMsOf(group.children),
        clients: CLIENTS,
        warmupMs: 3000,
        durationMs: SECONDS * 1000,
        period: { from: '2025-11', to: '2026-10' },
        allInstitutionsRuns: 6,
      });
    } finally {
      await writer?.stop();
    }
  } finally {
    await group.stop();
  }
}

const load = os
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(' / ');
const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} ms`);
const met = (ok: boolean | null) => (ok === null ? '' : ok ? 'yes' : 'NO');
type Figure = [string, string, (r: WorkloadResult) => string, string, ((r: WorkloadResult) => boolean) | null];
const figures: Figure[] = [
  [
    'reference dashboard query, p95 latency',
    `${CLIENTS} concurrent clients`,
    (r) => ms(r.dashboard.p95),
    '< 150 ms',
    (r) => r.dashboard.p95 !== null && r.dashboard.p95 < 150,
  ],
  ['reference dashboard query, p50 / p99', '', (r) => `${ms(r.dashboard.p50)} / ${ms(r.dashboard.p99)}`, '', null],
  ['reference dashboard query, throughput', '', (r) => `${r.dashboard.perSecond.toFixed(1)} per second`, '', null],
  [
    'reference dashboard query, CPU per answer (gateway + 3 subgraphs)',
    'from /proc, see below',
    (r) => (cpuTotal(r) === null ? 'n/a' : `${cpuTotal(r)!.toFixed(1)} ms`),
    '',
    null,
  ],
  [
    'reference dashboard query, errors',
    'answers measured',
    (r) => `${r.dashboard.errors} of ${r.dashboard.measured}`,
    '0',
    (r) => r.dashboard.errors === 0,
  ],
  ['institutions per dashboard answer', '', (r) => r.dashboard.institutionsPerAnswer.toFixed(0), '', null],
  [
    'institution rows published as 0 to the analyst',
    '',
    (r) => `${r.dashboard.zeroRows} of ${r.dashboard.rows}`,
    '',
    null,
  ],
  [
    `Institution.caseStats for all ${of('cold').allInstitutions.institutions} institutions in one query, every figure`,
    'median of 5 runs (max)',
    (r) => `${ms(r.allInstitutions.p50)} (${ms(r.allInstitutions.max)})`,
    '< 500 ms',
    (r) => r.allInstitutions.p50 !== null && r.allInstitutions.p50 < 500 && r.allInstitutions.errors === 0,
  ],
  [
    'the same, counts and rates only (no overdue counts, no percentiles)',
    'median of 5 runs (max)',
    (r) => `${ms(r.allInstitutionsCounts.p50)} (${ms(r.allInstitutionsCounts.max)})`,
    '< 500 ms',
    (r) =>
      r.allInstitutionsCounts.p50 !== null && r.allInstitutionsCounts.p50 < 500 && r.allInstitutionsCounts.errors === 0,
  ],
  [
    'the same institutions without statistics (ids only: gateway and registry alone)',
    'median of 5 runs (max)',
    (r) => `${ms(r.allInstitutionsListOnly.p50)} (${ms(r.allInstitutionsListOnly.max)})`,
    '',
    null,
  ],
];
function cpuTotal(r: WorkloadResult): number | null {
  const names = Object.keys(r.dashboard.cpuPerAnswer).filter((n) => n !== 'load generator');
  return names.length ? names.reduce((sum, n) => sum + r.dashboard.cpuPerAnswer[n]!, 0) : null;
}
const header = (first: string[]) => [
  `| ${[...first, ...MODES.map((m) => m.label)].join(' | ')} |`,
  `|${' --- |'.repeat(first.length + MODES.length)}`,
];
const table = [
  ...header(['figure', 'conditions']).map((line, i) =>
    i === 0 ? `${line} target | met (${MODES.map((m) => m.key).join(' / ')}) |` : `${line} --- | --- |`,
  ),
  ...figures.map(
    ([f, c, v, t, ok]) =>
      `| ${f} | ${c} | ${MODES.map((m) => v(of(m.key))).join(' | ')} | ${t} | ${ok ? MODES.map((m) => met(ok(of(m.key)))).join(' / ') : ''} |`,
  ),
  `| SQL statements per dashboard query | test/case-statistics-batching.test.ts | constant (5 vs 50 institutions: equal) |${' |'.repeat(MODES.length - 1)} constant in institutions | yes |`,
].join('\n');
const cpuNames = Object.keys(of('cold').dashboard.cpuPerAnswer);
const cpuTable = cpuNames.length
  ? [
      ...header(['process']),
      ...cpuNames.map(
        (name) =>
          `| ${name} | ${MODES.map((m) => `${of(m.key).dashboard.cpuPerAnswer[name]?.toFixed(1) ?? 'n/a'} ms`).join(' | ')} |`,
      ),
      `| services together (gateway + 3 subgraphs) | ${MODES.map((m) => `${cpuTotal(of(m.key))?.toFixed(1)} ms`).join(' | ')} |`,
    ].join('\n')
  : '(no per-process CPU counters on this platform)';
const partsTable = [
  ...header(['part, asked alone, one request at a time']),
  ...Object.keys(of('cold').parts).map(
    (name) => `| ${name} | ${MODES.map((m) => ms(of(m.key).parts[name] ?? null)).join(' | ')} |`,
  ),
].join('\n');
const errorSamples = [...MODES.flatMap((m) => of(m.key).dashboard.errorSamples), ...writerTotals.failures];
const share = shared!;
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)} %` : 'n/a');
const publicationTable = [
  '| figure | value | target | met |',
  '| --- | --- | --- | --- |',
  `| institution rows with at least 5 true cases in the period that are published (received ≥ 5) | ${share.publishedWithFive} of ${share.withFive} (${pct(share.publishedWithFive, share.withFive)}) | ≥ 95 % | ${share.publishedWithFive >= 0.95 * share.withFive ? 'yes' : 'NO'} |`,
  `| mean absolute noise of an institution's received count (rows with cases) | ${share.meanAbsoluteNoise.toFixed(2)} over ${share.withCases} rows | at most 3 each | |`,
  `| institution rows with 1 to 4 true cases published as 0 | ${share.smallPublishedZero} of ${share.small} | | |`,
].join('\n');
const report = `# Dashboard benchmark

Generated by \`npm run bench:dashboard -- --cases ${CASES} --institutions ${INSTITUTIONS} --seconds ${SECONDS} --clients ${CLIENTS} --writes ${WRITE_RATES.join(',')}\` on ${new Date().toISOString()}.
Machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; sqlite stores.
Load average when the run ended (1 / 5 / 15 min): ${load} — anything above ${os.cpus().length} means other work shared the processors.
The gateway, the three subgraphs and this load generator run as separate processes sharing the machine; requests go
through the gateway with an analyst's token (authentication and the cell-key method on). Period: 2025-11 to 2026-10.
${seedSeconds === null ? 'Data set reused from an earlier seeding.' : `Seeding took ${seedSeconds.toFixed(0)} s, peak memory ${seedPeakMiB} MiB (target: minutes, within 2 GiB).`}

Each figure four times, on the same data and the same load (clients cycle through all 16 districts):
- **nothing kept** (\`JIEFEN_KEPT_READS=off JIEFEN_KEPT_ANSWERS=off\`): every statistic computed for every
  request, every answer joined afresh. This is what an answer costs right after a write.
- **kept statistics** (\`JIEFEN_KEPT_ANSWERS=off\`): the subgraphs keep computed statistics, referral figures and
  registry pages under their generations (\`kit/generation.ts\`); the gateway still joins every answer.
- **kept answers** (the default): the gateway also keeps whole answers while the three subgraphs' generations stand
  still (\`gateway/kept-answers.ts\`); each answer served kept costs one read of each generation. Nothing is written.
- **kept answers, W case changes/s**: the default while a writer sends \`recordRespondentContact\` through the gateway
  at that rate (${writerTotals.sent} sent in all, ${writerTotals.failed} failed). Every case change raises the cube's
  generation: every kept statistic and answer is dropped, and the next ones are computed afresh. For scale: the data
  set's million cases arrive over 25 months, about 1,300 a day; at five changes a case, spread over an eight-hour
  working day, that is about 0.25 changes a second.

What the analyst is given (\`Institution.caseStats\` of all ${share.institutions} institutions for the year, against the true counts in the store;
figures by the cell-key method, \`subgraphs/cases/statistics/disclosure.ts\`):

${publicationTable}

${table}

CPU time of each process per dashboard answer during the ${CLIENTS}-client phase (from /proc, user + system, warm-up excluded):

${cpuTable}

Where the time goes (each part for 8 districts in turn, measured on a second pass once the first warmed the caches):

${partsTable}

How to read it: the statistics read the cube (\`subgraphs/cases/statistics/\`), never the cases table, with a constant
number of statements per query. Compare each part with the institutions list alone: what is left above it is the
part's own cost. With case changes streaming in, each change drops every kept statistic and answer (one generation
covers the whole cube), so the answers right after a change are computed afresh, in a burst: they set the p95,
while the p50 stays near the kept figure at a busy hour's rate. The concurrent figures include queueing: ${CLIENTS} clients share 2 cores with the gateway, three subgraphs
and this load generator (and with anything else running, see the load average).
${errorSamples.length ? `\nError samples: ${errorSamples.join('; ')}\n` : ''}`;
fs.writeFileSync(path.join(ROOT, 'bench', 'dashboard-report.md'), report);
console.log(report);
