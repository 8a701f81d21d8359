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
const group = startProcesses(env, path.join(dataDir, 'logs'), (_name, detail) => { console.error(detail); process.exit(1); });
let result;
try {
  await waitUntilReady(`http://127.0.0.1:${PORTS.GATEWAY_PORT}/readyz`, 120_000);
  // The last 12 months of the demo world (it ends on 2026-11-01).
  result = await runDashboardWorkload({
    gatewayUrl: `http://127.0.0.1:${PORTS.GATEWAY_PORT}/graphql`, token: await signDevToken({ sub: 'bench-analyst', role: 'analyst' }, config.jwt.secret!),
    cpuMs: () => cpuMsOf(group.children),
    clients: CLIENTS, warmupMs: 3000, durationMs: SECONDS * 1000, period: { from: '2025-11', to: '2026-10' }, allInstitutionsRuns: 6,
  });
} finally {
  await group.stop();
}

const d = result.dashboard;
const a = result.allInstitutions;
const c = result.allInstitutionsCounts;
const l = result.allInstitutionsListOnly;
const load = os.loadavg().map((l) => l.toFixed(1)).join(' / ');
const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} ms`);
const rows = [
  ['reference dashboard query, p95 latency', `${CLIENTS} concurrent clients`, ms(d.p95), '< 150 ms', d.p95 !== null && d.p95 < 150],
  ['reference dashboard query, p50 / p99', '', `${ms(d.p50)} / ${ms(d.p99)}`, '', null],
  ['reference dashboard query, throughput', '', `${d.perSecond.toFixed(1)} per second`, '', null],
  ['reference dashboard query, errors', `${d.measured} answers measured`, String(d.errors), '0', d.errors === 0],
  ['institutions per dashboard answer', '', d.institutionsPerAnswer.toFixed(0), '', null],
  ['institution rows entirely withheld from the analyst', '', `${d.withheldRows} of ${d.rows}`, '', null],
  [`Institution.caseStats for all ${a.institutions} institutions in one query, every figure`, `median of ${a.runs} runs (max ${ms(a.max)})`, ms(a.p50), '< 500 ms', a.p50 !== null && a.p50 < 500 && a.errors === 0],
  [`the same, counts and rates only (no overdue counts, no percentiles)`, `median of ${c.runs} runs (max ${ms(c.max)})`, ms(c.p50), '< 500 ms', c.p50 !== null && c.p50 < 500 && c.errors === 0],
  [`the same institutions without statistics (ids only: gateway and registry alone)`, `median of ${l.runs} runs (max ${ms(l.max)})`, ms(l.p50), '', null],
  ['SQL statements per dashboard query', 'test/case-statistics-batching.test.ts', 'constant (5 vs 50 institutions: equal)', 'constant in institutions', true],
];
const cpuNames = Object.keys(d.cpuPerAnswer);
const cpuTable = cpuNames.length ? ['| process | CPU per dashboard answer |', '| --- | --- |',
  ...cpuNames.map((name) => `| ${name} | ${d.cpuPerAnswer[name]!.toFixed(1)} ms |`),
  `| services together (gateway + 3 subgraphs) | ${cpuNames.filter((n) => n !== 'load generator').reduce((sum, n) => sum + d.cpuPerAnswer[n]!, 0).toFixed(1)} ms |`].join('\n') : '(no per-process CPU counters on this platform)';
const partsTable = ['| part, asked alone, one request at a time | median latency |', '| --- | --- |',
  ...Object.entries(result.parts).map(([name, v]) => `| ${name} | ${ms(v)} |`)].join('\n');
const table = ['| figure | conditions | value | target | met |', '| --- | --- | --- | --- | --- |',
  ...rows.map(([f, c, v, t, m]) => `| ${f} | ${c} | ${v} | ${t} | ${m === null ? '' : m ? 'yes' : 'NO'} |`)].join('\n');
const report = `# Dashboard benchmark

Generated by \`npm run bench:dashboard -- --cases ${CASES} --institutions ${INSTITUTIONS} --seconds ${SECONDS} --clients ${CLIENTS}\` on ${new Date().toISOString()}.
Machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; sqlite stores.
Load average when the run ended (1 / 5 / 15 min): ${load} — anything above ${os.cpus().length} means other work shared the processors.
The gateway, the three subgraphs and this load generator run as separate processes sharing the machine; requests go
through the gateway with an analyst's token (authentication and small-cell suppression on). Period: 2025-11 to 2026-10.
${seedSeconds === null ? 'Data set reused from an earlier seeding.' : `Seeding took ${seedSeconds.toFixed(0)} s, peak memory ${seedPeakMiB} MiB (target: minutes, within 2 GiB).`}

${table}

CPU time of each process per dashboard answer during the ${CLIENTS}-client phase (from /proc, user + system, warm-up excluded):

${cpuTable}

Where the time goes (each part for 8 districts in turn, measured on a second pass once the first warmed the caches):

${partsTable}

How to read it: the statistics read the cube (\`subgraphs/cases/statistics/\`), never the cases table, with a constant
number of statements per query. Compare each part with the institutions list alone: what is left above it is the
part's own cost. The concurrent figures include queueing: 10 clients share 2 cores with the gateway, three subgraphs
and this load generator (and with anything else running, see the load average).
${d.errorSamples.length ? `\nError samples: ${d.errorSamples.join('; ')}\n` : ''}`;
fs.writeFileSync(path.join(ROOT, 'bench', 'dashboard-report.md'), report);
console.log(report);
