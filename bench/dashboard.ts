/**
 * npm run bench:dashboard -- [--cases N] [--institutions N] [--seconds S] [--clients C] [--reuse]
 * The dashboard benchmark on sqlite: seeds N cases (default 1,000,000) and N institutions (default 7,000) into
 * bench/data/dashboard (--reuse keeps a data set seeded before), starts the hub as separate processes, runs
 * bench/load/dashboard.ts through the gateway with an analyst token, and writes bench/dashboard-report.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../kit/config.js';
import { signDevToken } from '../gateway/dev-token.js';
import { seedDemo } from '../seed/seed-demo.js';
import { ROOT, startProcesses, waitUntilReady } from '../scripts/processes.js';
import { runDashboardWorkload } from './load/dashboard.js';

const { values } = parseArgs({ options: {
  cases: { type: 'string', default: '1000000' }, institutions: { type: 'string', default: '7000' }, seconds: { type: 'string', default: '20' },
  clients: { type: 'string', default: '10' }, reuse: { type: 'boolean', default: false },
} });
const CASES = Number(values.cases);
const INSTITUTIONS = Number(values.institutions);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const dataDir = path.join(ROOT, 'bench', 'data', 'dashboard');
const PORTS = { GATEWAY_PORT: '4110', CASES_PORT: '4111', INSTITUTIONS_PORT: '4112', REFERRALS_PORT: '4113' };
const env: NodeJS.ProcessEnv = { ...process.env, ...PORTS, JIEFEN_DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'development' };
const config = loadConfig(env);

/** CPU time (user + system, ms) of each service process so far, from /proc, and of this load generator. */
function cpuMsOf(children: Map<string, { pid?: number }>): Record<string, number> {
  const ticks = 100; // USER_HZ on Linux
  const out: Record<string, number> = {};
  for (const [name, child] of children) {
    try {
      const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out[name] = ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks;
    } catch { /* not Linux, or gone: no figure */ }
  }
  const own = process.cpuUsage();
  out['load generator'] = (own.user + own.system) / 1000;
  return out;
}

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
 * The workload twice, on the same data: first with the statistics computed for every request (JIEFEN_STATISTICS_CACHE
 * off: the cold cost, what a dashboard pays right after any case changed), then with computed statistics kept until
 * the next cube write (the default). No write happens during the run, so the second pass is the best case.
 */
const MODES = [
  { key: 'cold', label: 'computed every time (cache off)', cache: 'off' },
  { key: 'kept', label: 'kept statistics (cache on, no writes)', cache: 'on' },
] as const;
type WorkloadResult = Awaited<ReturnType<typeof runDashboardWorkload>>;
const results = {} as Record<(typeof MODES)[number]['key'], WorkloadResult>;
for (const mode of MODES) {
  const modeEnv = { ...env, JIEFEN_STATISTICS_CACHE: mode.cache };
  const group = startProcesses(modeEnv, path.join(dataDir, 'logs'), (_name, detail) => { console.error(detail); process.exit(1); });
  try {
    await waitUntilReady(`http://127.0.0.1:${PORTS.GATEWAY_PORT}/readyz`, 120_000);
    console.log(`measuring: ${mode.label}…`);
    // The last 12 months of the demo world (it ends on 2026-11-01).
    results[mode.key] = await runDashboardWorkload({
      gatewayUrl: `http://127.0.0.1:${PORTS.GATEWAY_PORT}/graphql`, token: await signDevToken({ sub: 'bench-analyst', role: 'analyst' }, config.jwt.secret!),
      cpuMs: () => cpuMsOf(group.children),
      clients: CLIENTS, warmupMs: 3000, durationMs: SECONDS * 1000, period: { from: '2025-11', to: '2026-10' }, allInstitutionsRuns: 6,
    });
  } finally {
    await group.stop();
  }
}

const load = os.loadavg().map((l) => l.toFixed(1)).join(' / ');
const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} ms`);
const met = (ok: boolean | null) => (ok === null ? '' : ok ? 'yes' : 'NO');
type Figure = [string, string, (r: WorkloadResult) => string, string, ((r: WorkloadResult) => boolean) | null];
const figures: Figure[] = [
  ['reference dashboard query, p95 latency', `${CLIENTS} concurrent clients`, (r) => ms(r.dashboard.p95), '< 150 ms', (r) => r.dashboard.p95 !== null && r.dashboard.p95 < 150],
  ['reference dashboard query, p50 / p99', '', (r) => `${ms(r.dashboard.p50)} / ${ms(r.dashboard.p99)}`, '', null],
  ['reference dashboard query, throughput', '', (r) => `${r.dashboard.perSecond.toFixed(1)} per second`, '', null],
  ['reference dashboard query, CPU per answer (gateway + 3 subgraphs)', 'from /proc, see below', (r) => cpuTotal(r) === null ? 'n/a' : `${cpuTotal(r)!.toFixed(1)} ms`, '', null],
  ['reference dashboard query, errors', 'answers measured (cold / kept)', (r) => `${r.dashboard.errors} of ${r.dashboard.measured}`, '0', (r) => r.dashboard.errors === 0],
  ['institutions per dashboard answer', '', (r) => r.dashboard.institutionsPerAnswer.toFixed(0), '', null],
  ['institution rows entirely withheld from the analyst', '', (r) => `${r.dashboard.withheldRows} of ${r.dashboard.rows}`, '', null],
  [`Institution.caseStats for all ${results.cold.allInstitutions.institutions} institutions in one query, every figure`, 'median of 5 runs (max)',
    (r) => `${ms(r.allInstitutions.p50)} (${ms(r.allInstitutions.max)})`, '< 500 ms', (r) => r.allInstitutions.p50 !== null && r.allInstitutions.p50 < 500 && r.allInstitutions.errors === 0],
  ['the same, counts and rates only (no overdue counts, no percentiles)', 'median of 5 runs (max)',
    (r) => `${ms(r.allInstitutionsCounts.p50)} (${ms(r.allInstitutionsCounts.max)})`, '< 500 ms', (r) => r.allInstitutionsCounts.p50 !== null && r.allInstitutionsCounts.p50 < 500 && r.allInstitutionsCounts.errors === 0],
  ['the same institutions without statistics (ids only: gateway and registry alone)', 'median of 5 runs (max)',
    (r) => `${ms(r.allInstitutionsListOnly.p50)} (${ms(r.allInstitutionsListOnly.max)})`, '', null],
];
function cpuTotal(r: WorkloadResult): number | null {
  const names = Object.keys(r.dashboard.cpuPerAnswer).filter((n) => n !== 'load generator');
  return names.length ? names.reduce((sum, n) => sum + r.dashboard.cpuPerAnswer[n]!, 0) : null;
}
const table = ['| figure | conditions | computed every time (cold) | kept statistics (cached) | target | met (cold / cached) |', '| --- | --- | --- | --- | --- | --- |',
  ...figures.map(([f, c, v, t, ok]) => `| ${f} | ${c} | ${v(results.cold)} | ${v(results.kept)} | ${t} | ${ok ? `${met(ok(results.cold))} / ${met(ok(results.kept))}` : ''} |`),
  '| SQL statements per dashboard query | test/case-statistics-batching.test.ts | constant (5 vs 50 institutions: equal) | | constant in institutions | yes |'].join('\n');
const cpuNames = Object.keys(results.cold.dashboard.cpuPerAnswer);
const cpuTable = cpuNames.length ? ['| process | cold | cached |', '| --- | --- | --- |',
  ...cpuNames.map((name) => `| ${name} | ${results.cold.dashboard.cpuPerAnswer[name]!.toFixed(1)} ms | ${results.kept.dashboard.cpuPerAnswer[name]?.toFixed(1) ?? 'n/a'} ms |`),
  `| services together (gateway + 3 subgraphs) | ${cpuTotal(results.cold)?.toFixed(1)} ms | ${cpuTotal(results.kept)?.toFixed(1)} ms |`].join('\n') : '(no per-process CPU counters on this platform)';
const partsTable = ['| part, asked alone, one request at a time | cold | cached |', '| --- | --- | --- |',
  ...Object.keys(results.cold.parts).map((name) => `| ${name} | ${ms(results.cold.parts[name]!)} | ${ms(results.kept.parts[name] ?? null)} |`)].join('\n');
const errorSamples = [...results.cold.dashboard.errorSamples, ...results.kept.dashboard.errorSamples];
const report = `# Dashboard benchmark

Generated by \`npm run bench:dashboard -- --cases ${CASES} --institutions ${INSTITUTIONS} --seconds ${SECONDS} --clients ${CLIENTS}\` on ${new Date().toISOString()}.
Machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; sqlite stores.
Load average when the run ended (1 / 5 / 15 min): ${load} — anything above ${os.cpus().length} means other work shared the processors.
The gateway, the three subgraphs and this load generator run as separate processes sharing the machine; requests go
through the gateway with an analyst's token (authentication and small-cell suppression on). Period: 2025-11 to 2026-10.
${seedSeconds === null ? 'Data set reused from an earlier seeding.' : `Seeding took ${seedSeconds.toFixed(0)} s, peak memory ${seedPeakMiB} MiB (target: minutes, within 2 GiB).`}

Each figure twice, on the same data and the same load (clients cycle through all 16 districts):
- **cold**: the cases subgraph computes every statistic for every request (\`JIEFEN_STATISTICS_CACHE=off\`). This is
  what every answer costs right after a case changed anywhere, so on a busy system it is the figure that counts.
- **cached**: computed statistics are kept under the cube's generation until the next write of the cube
  (\`subgraphs/cases/statistics/cache.ts\`, the default). Nothing is written during the run, so this is the best case.

${table}

CPU time of each process per dashboard answer during the ${CLIENTS}-client phase (from /proc, user + system, warm-up excluded):

${cpuTable}

Where the time goes (each part for 8 districts in turn, measured on a second pass once the first warmed the caches):

${partsTable}

How to read it: the statistics read the cube (\`subgraphs/cases/statistics/\`), never the cases table, with a constant
number of statements per query. Compare each part with the institutions list alone: what is left above it is the
part's own cost. The concurrent figures include queueing: ${CLIENTS} clients share 2 cores with the gateway, three subgraphs
and this load generator (and with anything else running, see the load average).
${errorSamples.length ? `\nError samples: ${errorSamples.join('; ')}\n` : ''}`;
fs.writeFileSync(path.join(ROOT, 'bench', 'dashboard-report.md'), report);
console.log(report);
