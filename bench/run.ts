/**
 * npm run bench [-- --cases N --seconds S --warmup S --gateways ours,apollo,hive,mercurius
 *                   --workloads direct,lookup,join,mutation,redaction,abuse,failover --concurrency 1,10,50 --stores sqlite,postgres]
 *
 * Our gateway side by side with the gateways users would pick instead, on the same subgraphs: the three
 * subgraphs start once on a generated data set; then each gateway in turn is started as its own process and
 * every workload is sent to it at each concurrency by a load generator in its own process (bench/load/).
 * The primary figure is the gateway process's own CPU time per request over the measured window.
 * `direct` sends the lookup straight to the cases subgraph: the floor every gateway adds to.
 * On PostgreSQL (issue 3's second figure) only our gateway's status mutations at the highest concurrency run.
 * JIEFEN_PROFILE_DIR=dir writes a CPU profile of every process (bench/profile-summary.ts reads it). Without it, a
 * last profiled run of our gateway on the join names its top costs in the report (--skip-profile skips it).
 * Writes bench/report.md and bench/report.json; `abuse` (bench/abuse.ts, never part of the default run) writes
 * bench/abuse-report.md.
 * `failover` (not in the default list) kills and freezes subgraphs of a hub of its own (bench/failover.ts) and
 * writes its section of the report, leaving the rest as it was when nothing else was asked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { ROOT } from '../scripts/processes.js';
import type { LoadPlan } from './load/graphql-load.js';
import { summarize } from './profile-summary.js';
import { signDevToken } from '../gateway/dev-token.js';
import {
  BENCH_DIR,
  GATEWAY_ENTRIES,
  GATEWAY_URL,
  POSTGRES_URL,
  QUERIES,
  peakRssMiB,
  probe,
  runLoad,
  startGateway,
  startSubgraphs,
  type Fixtures,
  type GatewayProcess,
  type Store,
  type Subgraphs,
} from './harness.js';
import { runAbuse } from './abuse.js';
import { failoverSection, FAILOVER_END, FAILOVER_START, runFailoverBench } from './failover.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '2' },
    gateways: { type: 'string', default: 'ours,ours-policy-off,apollo,hive,mercurius' },
    workloads: { type: 'string', default: 'direct,lookup,join,mutation,redaction' },
    concurrency: { type: 'string', default: '1,10,50' },
    stores: { type: 'string', default: 'sqlite,postgres' },
    'skip-profile': { type: 'boolean', default: false },
  },
});
const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const CASES = Number(values.cases);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const CONCURRENCY = list(values.concurrency!).map(Number);
// `failover` runs on its own hub of processes (bench/failover.ts): it kills and freezes subgraphs.
const FAILOVER = list(values.workloads!).includes('failover');
const WORKLOADS = list(values.workloads!).filter((w) => w !== 'failover');
const GATEWAYS = list(values.gateways!);
if (!(CASES >= 1000) || !(SECONDS >= 1) || !(WARMUP >= 0) || CONCURRENCY.some((c) => !(c >= 1))) {
  console.error(
    '--cases must be at least 1000, --seconds at least 1, --warmup at least 0, --concurrency positive integers',
  );
  process.exit(2);
}

export interface Row {
  store: Store;
  gateway: string;
  workload: string;
  concurrency: number;
  requestsPerSecond: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  gatewayCpuUs: number | null;
  subgraphsCpuUs: number | null;
  /** CPU µs per request of each watched process. */
  cpuUs: Record<string, number | null>;
  errors: number;
  errorSamples: string[];
  lostUpdates?: number;
}

async function fixtures(db: Knex): Promise<Fixtures> {
  const lookupIds = (await db('cases').orderBy('seq').limit(500).select('id')).map((r) => ({ id: r.id as string }));
  const districts = (await db('cases').groupBy('district').havingRaw('count(*) >= 20').select('district')).map((r) => ({
    district: r.district as string,
  }));
  const mutationCases = await db('cases')
    .where('status', 'ACCEPTED')
    .whereNotNull('institution_id')
    .orderBy('seq')
    .limit(Math.max(...CONCURRENCY))
    .select('id', 'seq', 'institution_id');
  return { lookupIds, districts, mutationCases };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));

/** A case's version and its number of timeline events, read in one statement so both come from the same moment. */
async function versionAndEvents(db: Knex, id: string): Promise<{ version: number; events: number }> {
  const row = await db('cases')
    .where('id', id)
    .first('version', db.raw('(select count(*) from case_events e where e.case_seq = cases.seq) as events'));
  return { version: Number(row.version), events: Number(row.events) };
}

/** Runs one workload at one concurrency against `url`, watching the gateway's and the subgraphs' CPU. */
async function measure(
  store: Store,
  gateway: string,
  workload: string,
  concurrency: number,
  url: string,
  auth: 'user' | 'internal',
  subgraphs: Subgraphs,
  data: Fixtures,
  gatewayPid: number | null,
): Promise<Row> {
  const watch: Record<string, number> = {};
  for (const [name, child] of subgraphs.group.children) watch[name] = child.pid!;
  if (gatewayPid) watch.gateway = gatewayPid;
  const secret = auth === 'user' ? subgraphs.config.jwt.secret! : subgraphs.config.internalSecret;
  const admin = { sub: 'bench', role: 'admin' as const };
  let plan: LoadPlan;
  const base = {
    url,
    connections: concurrency,
    warmupSeconds: WARMUP,
    seconds: SECONDS,
    auth: { kind: auth, secret },
    watch,
  };
  const before = new Map<string, { version: number; events: number }>();
  const cases = data.mutationCases.slice(0, concurrency);
  if (workload === 'mutation') {
    await settle();
    for (const c of cases) before.set(c.id, await versionAndEvents(subgraphs.casesDb, c.id));
    plan = {
      ...base,
      workload: {
        kind: 'mutation',
        query: QUERIES.mutation,
        cases: cases.map((c) => ({
          id: c.id,
          version: before.get(c.id)!.version,
          principal: { sub: 'bench', role: 'institution', org: c.institution_id },
        })),
      },
    };
  } else if (workload === 'redaction') {
    plan = {
      ...base,
      workload: {
        kind: 'query',
        query: QUERIES.redaction,
        variables: [{}],
        principal: { sub: 'bench-analyst', role: 'analyst' },
      },
    };
  } else {
    const query = workload === 'join' ? QUERIES.join : QUERIES.lookup;
    plan = {
      ...base,
      workload: {
        kind: 'query',
        query,
        variables: workload === 'join' ? data.districts : data.lookupIds,
        principal: admin,
      },
    };
  }
  const result = await runLoad(plan);
  const cpu = result.cpuPerRequestUs as Record<string, number | null>;
  const subgraphCpu = ['cases', 'institutions', 'referrals'].reduce((sum, name) => sum + (cpu[name] ?? 0), 0);
  const row: Row = {
    store,
    gateway,
    workload,
    concurrency,
    requestsPerSecond: Math.round(result.perSecond),
    p50: result.p50,
    p95: result.p95,
    p99: result.p99,
    gatewayCpuUs: cpu.gateway === undefined || cpu.gateway === null ? null : Math.round(cpu.gateway),
    subgraphsCpuUs: Math.round(subgraphCpu),
    cpuUs: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, v === null ? null : Math.round(v)])),
    errors: result.errors,
    errorSamples: result.errorSamples,
  };
  if (workload === 'mutation') {
    // Lost updates: a version confirmed to two requests, a success without its version step, or a version step without its event.
    let lost = 0;
    // Requests cut off when the load stopped may still be committing: let them finish before counting.
    await settle();
    for (const c of cases) {
      const seen = result.confirmed[c.id] as number[];
      const after = await versionAndEvents(subgraphs.casesDb, c.id);
      const stepped = after.version - before.get(c.id)!.version;
      lost +=
        seen.length -
        new Set(seen).size +
        Math.max(0, seen.length - stepped) +
        Math.abs(after.events - before.get(c.id)!.events - stepped);
    }
    row.lostUpdates = lost;
  }
  const fmt = (n: number | null) => (n === null ? '–' : n.toFixed(1));
  console.log(
    `  ${gateway.padEnd(15)} ${workload.padEnd(8)} c=${String(concurrency).padEnd(3)} ${String(row.requestsPerSecond).padStart(6)} req/s  p50 ${fmt(row.p50)} p95 ${fmt(row.p95)} p99 ${fmt(row.p99)} ms  gateway ${row.gatewayCpuUs ?? '–'} µs/req  subgraphs ${row.subgraphsCpuUs} µs/req (${['cases', 'institutions', 'referrals'].map((n) => row.cpuUs[n]).join('/')})  errors ${row.errors}${row.lostUpdates !== undefined ? `  lost ${row.lostUpdates}` : ''}`,
  );
  if (row.errorSamples.length) console.log(`    e.g. ${row.errorSamples[0]}`);
  return row;
}

/**
 * A separate, profiled run of our gateway on the join at 10 clients (the targets' workload), so the report names
 * where its CPU goes. Its figures are not used: profiling slows the process.
 */
async function profileOurJoin(subgraphs: Subgraphs, data: Fixtures): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiefen-bench-profile-'));
  console.log('profiling our gateway on join, 10 clients');
  const gateway = await startGateway('ours', subgraphs, dir);
  try {
    await measure('sqlite', 'ours (profiled)', 'join', 10, GATEWAY_URL, 'user', subgraphs, data, gateway.child.pid!);
  } finally {
    await gateway.stop();
  }
  const summary = summarize(mainThreadProfile(path.join(dir, 'gateway-ours'))!, 12, SECONDS);
  fs.rmSync(dir, { recursive: true, force: true });
  return (
    `Our gateway on \`join\` at 10 clients, a separate profiled run (\`--cpu-prof\`), busy time of its last ${SECONDS} s by self time. ` +
    `\`writev\` is the four socket writes of each join (the answer and three subgraph calls); its share is mostly time the gateway ` +
    `is descheduled after waking the process it wrote to on this 2-core machine, not CPU it burns.\n\n` +
    `by package: ${summary.byPackage.map((r) => `${r.what} ${(r.share * 100).toFixed(0)}%`).join(', ')}\n\n` +
    summary.byFunction.map((r) => `- ${(r.share * 100).toFixed(1)}% ${r.what.replace(ROOT, '')}`).join('\n') +
    '\n'
  );
}

const loadBefore = os.loadavg();
const profiles: string[] = [];
const rows: Row[] = [];
const gatewayNotes: { store: Store; gateway: string; peakRssMiB?: number; note?: string }[] = [];

for (const store of (['sqlite', 'postgres'] as const).filter(
  (s) => WORKLOADS.length && list(values.stores!).includes(s),
)) {
  const subgraphs = await startSubgraphs(store, CASES);
  if (!subgraphs) {
    gatewayNotes.push({ store, gateway: 'all', note: `skipped: PostgreSQL not reachable at ${POSTGRES_URL}` });
    continue;
  }
  try {
    const data = await fixtures(subgraphs.casesDb);
    const onPostgres = store === 'postgres';
    const workloads = onPostgres ? WORKLOADS.filter((w) => w === 'mutation') : WORKLOADS;
    const concurrency = onPostgres ? [Math.max(...CONCURRENCY)] : CONCURRENCY;
    if (workloads.includes('direct')) {
      console.log(`direct to the cases subgraph (${store})`);
      // The subgraph's first requests compile code and warm caches: a discarded run first, so the floor is not inflated.
      await measure(
        store,
        'direct (warm-up)',
        'lookup',
        10,
        subgraphs.config.subgraphUrls.cases,
        'internal',
        subgraphs,
        data,
        null,
      );
      for (const c of concurrency)
        rows.push(
          await measure(
            store,
            'direct',
            'lookup',
            c,
            subgraphs.config.subgraphUrls.cases,
            'internal',
            subgraphs,
            data,
            null,
          ),
        );
    }
    if (!onPostgres && workloads.includes('abuse')) {
      console.log('abuse: hostile requests to our gateway, then while a probe runs the join');
      const admin = { sub: 'bench', role: 'admin' as const };
      await runAbuse(
        {
          url: GATEWAY_URL,
          token: await signDevToken(admin, subgraphs.config.jwt.secret!, 3600),
          start: async (limits) => {
            const gateway = await startGateway(limits === 'default' ? 'ours-default-limits' : 'ours', subgraphs);
            return { pid: gateway.child.pid!, stop: gateway.stop };
          },
          probe: {
            url: GATEWAY_URL,
            connections: 1,
            auth: { kind: 'user', secret: subgraphs.config.jwt.secret! },
            watch: {},
            workload: {
              kind: 'query',
              query: QUERIES.join,
              variables: data.districts,
              principal: { sub: 'bench-probe', role: 'admin' },
            },
          },
          runLoad,
        },
        BENCH_DIR,
        SECONDS,
      );
    }
    const sideBySide = workloads.some((w) => w !== 'abuse' && w !== 'direct');
    const gateways = !sideBySide ? [] : onPostgres ? GATEWAYS.filter((g) => g === 'ours') : GATEWAYS;
    for (const name of gateways) {
      // The mercurius gateway speaks Federation 1: when it cannot serve our Federation 2 subgraphs, its Federation 1 rendering is measured.
      const attempts = name === 'mercurius' ? ['mercurius', 'mercurius-fed1'] : [name];
      for (const attempt of attempts) {
        console.log(`${GATEWAY_ENTRIES[attempt]!.label} (${store})`);
        let gateway: GatewayProcess;
        try {
          gateway = await startGateway(attempt, subgraphs);
        } catch (error) {
          const note = (error as Error).message;
          console.log(`  could not start: ${note}`);
          gatewayNotes.push({ store, gateway: attempt, note: `could not start: ${note}` });
          continue;
        }
        const refused = await probe(GATEWAY_ENTRIES[attempt]!.auth, subgraphs, data);
        if (refused && attempt !== attempts.at(-1)) {
          console.log(`  cannot serve our schema: ${refused}`);
          gatewayNotes.push({
            store,
            gateway: attempt,
            note: `cannot serve our Federation 2 subgraphs: ${refused.replace(/\.$/, '')}. It follows Federation 1, where a service adds root fields with \`extend type Query\`; Federation 2 subgraphs declare \`type Query\` (and \`@link\`, \`@shareable\`), and those root fields are missing from its schema. Measured instead on a Federation 1 rendering of the same SDL (bench/gateways/federation1.ts), served by the same subgraphs.`,
          });
          await gateway.stop();
          continue;
        }
        try {
          // The redaction workload compares our gateway with its policy on and off; the policy-off run does nothing else.
          const measured =
            attempt === 'ours-policy-off'
              ? workloads.filter((w) => w === 'redaction')
              : workloads.filter((w) => w !== 'direct' && w !== 'abuse' && (w !== 'redaction' || attempt === 'ours'));
          for (const workload of measured) {
            for (const c of concurrency)
              rows.push(
                await measure(
                  store,
                  attempt,
                  workload,
                  c,
                  GATEWAY_URL,
                  GATEWAY_ENTRIES[attempt]!.auth,
                  subgraphs,
                  data,
                  gateway.child.pid!,
                ),
              );
          }
          gatewayNotes.push({ store, gateway: attempt, peakRssMiB: peakRssMiB(gateway.child.pid!) });
        } finally {
          await gateway.stop();
        }
        break;
      }
    }
    if (
      !onPostgres &&
      !process.env.JIEFEN_PROFILE_DIR &&
      !values['skip-profile'] &&
      GATEWAYS.includes('ours') &&
      WORKLOADS.includes('join')
    ) {
      profiles.push(await profileOurJoin(subgraphs, data));
    }
  } finally {
    await subgraphs.casesDb.destroy();
    await subgraphs.group.stop();
  }
}

// A run of the abuse workload alone measures no gateway side by side: the comparison report stays as it was.
if (rows.length) writeReport(rows, gatewayNotes);
if (FAILOVER) await writeFailover();

async function writeFailover() {
  const figures = await runFailoverBench({ cases: CASES });
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const section = failoverSection(figures, command, new Date().toISOString());
  const reportFile = path.join(BENCH_DIR, 'report.md');
  const report = fs.existsSync(reportFile) ? fs.readFileSync(reportFile, 'utf8') : '# jiefen-hub benchmark report\n';
  fs.writeFileSync(reportFile, withFailoverSection(report, section));
  const jsonFile = path.join(BENCH_DIR, 'report.json');
  const json = fs.existsSync(jsonFile) ? JSON.parse(fs.readFileSync(jsonFile, 'utf8')) : {};
  fs.writeFileSync(
    jsonFile,
    JSON.stringify(
      {
        ...json,
        failover: {
          command,
          machine: {
            cpu: os.cpus()[0]?.model,
            cores: os.cpus().length,
            node: process.version,
            loadAverage: os.loadavg()[0],
          },
          ...figures,
        },
      },
      null,
      2,
    ) + '\n',
  );
  console.log('wrote the failover section of bench/report.md and bench/report.json');
}

/** The report with its failover section replaced (or added at the end). */
function withFailoverSection(report: string, section: string): string {
  const start = report.indexOf(FAILOVER_START);
  const end = report.indexOf(FAILOVER_END);
  if (start === -1 || end === -1) return `${report.trimEnd()}\n\n${section}`;
  return report.slice(0, start) + section.trimEnd() + report.slice(end + FAILOVER_END.length);
}

/** The failover section of the report now on disk, kept when a run without `failover` rewrites the report. */
function keptFailoverSection(): string {
  const reportFile = path.join(BENCH_DIR, 'report.md');
  if (!fs.existsSync(reportFile)) return '';
  const report = fs.readFileSync(reportFile, 'utf8');
  const start = report.indexOf(FAILOVER_START);
  const end = report.indexOf(FAILOVER_END);
  return start === -1 || end === -1 ? '' : `\n${report.slice(start, end + FAILOVER_END.length)}\n`;
}

function writeReport(rows: Row[], notes: typeof gatewayNotes) {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')).packages as Record<
    string,
    { version: string }
  >;
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    packages: Object.fromEntries(
      [
        '@apollo/gateway',
        '@apollo/server',
        '@apollo/subgraph',
        'graphql',
        'mercurius',
        '@mercuriusjs/gateway',
        '@graphql-hive/gateway',
        '@graphql-hive/gateway-runtime',
        'autocannon',
        'knex',
        'better-sqlite3',
        'pg',
      ].map((p) => [p, lock[`node_modules/${p}`]?.version]),
    ),
    cases: CASES,
    seconds: SECONDS,
    warmup: WARMUP,
    concurrency: CONCURRENCY,
    at: new Date().toISOString(),
    // Other work on the machine takes CPU from the processes measured: the 1-minute load average before and after.
    loadAverage: { before: Number(loadBefore[0]!.toFixed(2)), after: Number(os.loadavg()[0]!.toFixed(2)) },
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  };
  const targets = evaluateTargets(rows, notes);
  fs.writeFileSync(
    path.join(BENCH_DIR, 'report.json'),
    JSON.stringify({ machine, targets, gateways: notes, rows }, null, 2) + '\n',
  );

  const fmt = (n: number | null | undefined, digits = 1) => (n === null || n === undefined ? '–' : n.toFixed(digits));
  const table = [
    '| store | gateway | workload | clients | req/s | p50 / p95 / p99 ms | gateway CPU µs/req | subgraphs CPU µs/req | errors | lost updates |',
    '| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.store} | ${r.gateway} | ${r.workload} | ${r.concurrency} | ${r.requestsPerSecond} | ${fmt(r.p50)} / ${fmt(r.p95)} / ${fmt(r.p99)} | ${r.gatewayCpuUs ?? '–'} | ${r.subgraphsCpuUs ?? '–'} | ${r.errors} | ${r.lostUpdates ?? ''} |`,
    ),
  ];
  const ratioRows: string[] = [];
  for (const r of rows.filter((r) => r.gateway === 'ours' && r.gatewayCpuUs)) {
    const peers = rows.filter(
      (p) =>
        p.store === r.store &&
        p.workload === r.workload &&
        p.concurrency === r.concurrency &&
        p.gateway !== 'ours' &&
        p.gateway !== 'direct' &&
        p.gatewayCpuUs,
    );
    if (peers.length)
      ratioRows.push(
        `| ${r.store} | ${r.workload} | ${r.concurrency} | ${peers.map((p) => `${p.gateway} ${(r.gatewayCpuUs! / p.gatewayCpuUs!).toFixed(2)}`).join(', ')} |`,
      );
  }
  const notesTable = notes.map(
    (n) =>
      `| ${n.store} | ${n.gateway} | ${n.peakRssMiB ?? '–'} | ${(n.note ?? '').replaceAll('\n', ' ').replaceAll('|', '\\|').slice(0, 400)} |`,
  );
  const errorSamples = rows
    .filter((r) => r.errorSamples.length)
    .map(
      (r) =>
        `- ${r.gateway} ${r.workload} c=${r.concurrency}: \`${r.errorSamples[0]!.replaceAll('`', "'").slice(0, 200)}\``,
    );
  fs.writeFileSync(
    path.join(BENCH_DIR, 'report.md'),
    `# jiefen-hub benchmark report

Generated by \`${machine.command}\` on ${machine.at}.

Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}.
Packages: ${Object.entries(machine.packages)
      .map(([k, v]) => `${k} ${v ?? '(not installed)'}`)
      .join(', ')}.
Data: ${CASES} generated cases, 200 institutions. Each run warms up for ${WARMUP} s, then is measured for ${SECONDS} s.
Load average (1 min) on the machine: ${machine.loadAverage.before} before the run, ${machine.loadAverage.after} after; anything
above the bench's own few processes is other work competing for the ${machine.cores} cores, and inflates every figure.

The gateway, the three subgraphs and the load generator (autocannon) are separate processes sharing this machine's
processors, so requests per second measure the whole system. The primary figure is the **gateway process's own CPU
time per request** (user + system from /proc, read at the start and the end of the measured window, divided by
the requests answered in it). Our gateway authenticates every request (user JWT) and mints the internal token;
peers are given an internal token and pass it on through their header hooks. \`direct\` is the lookup sent straight
to the cases subgraph: the floor. Workloads: \`lookup\` one case by id (cases subgraph only); \`join\` 20 cases
with their institution and referrals (three subgraphs, two hops); \`mutation\` \`recordRespondentContact\`, each
client on its own case with the version it last saw.

## Targets

| target | measured | met |
| --- | --- | --- |
${targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met === null ? 'not measured' : t.met ? 'yes' : 'NO'} |`).join('\n')}

## Every run

${table.join('\n')}

## Ours ÷ peer, gateway CPU per request (lower is better for us)

| store | workload | clients | ratio |
| --- | --- | ---: | --- |
${ratioRows.join('\n')}

## Gateways

| store | gateway | peak RSS MiB | note |
| --- | --- | ---: | --- |
${notesTable.join('\n')}
${errorSamples.length ? `\n## Error samples\n\n${errorSamples.join('\n')}\n` : ''}${profiles.length ? `\n## Where our gateway's CPU goes\n\n${profiles.join('\n')}` : ''}${profileSection()}${keptFailoverSection()}`,
  );
  console.log(`\nwrote bench/report.md and bench/report.json`);
}

function evaluateTargets(rows: Row[], notes: typeof gatewayNotes) {
  const find = (gateway: string, workload: string, concurrency: number, store: Store = 'sqlite') =>
    rows.find(
      (r) => r.store === store && r.gateway === gateway && r.workload === workload && r.concurrency === concurrency,
    );
  const out: { target: string; measured: string; met: boolean | null }[] = [];
  const ours = find('ours', 'join', 10);
  const cpuVs = (peer: string, label: string, limit: (p: number) => number, text: string) => {
    const p = find(peer, 'join', 10);
    if (!ours?.gatewayCpuUs || !p?.gatewayCpuUs)
      return out.push({ target: text, measured: `needs ours and ${label} on join at 10 clients`, met: null });
    const ratio = ours.gatewayCpuUs / p.gatewayCpuUs;
    out.push({
      target: text,
      measured: `${ours.gatewayCpuUs} µs vs ${p.gatewayCpuUs} µs (×${ratio.toFixed(2)}; limit ${Math.round(limit(p.gatewayCpuUs))} µs)`,
      met: ours.gatewayCpuUs <= limit(p.gatewayCpuUs),
    });
  };
  cpuVs(
    'apollo',
    'bare @apollo/gateway',
    (p) => 0.4 * p,
    'join, 10 clients: gateway CPU/request ≤ 0.4 × bare @apollo/gateway',
  );
  cpuVs('hive', 'Hive Gateway', (p) => p - 1, 'join, 10 clients: gateway CPU/request below Hive Gateway');
  const mercurius = find('mercurius', 'join', 10) ? 'mercurius' : 'mercurius-fed1';
  cpuVs(
    mercurius,
    'the mercurius gateway',
    (p) => 2 * p,
    `join, 10 clients: gateway CPU/request ≤ 2 × ${GATEWAY_ENTRIES[mercurius]!.label}`,
  );
  // The hop's own latency shows at 1 client; at 10 the two cores are saturated and p50 mostly measures queueing
  // behind the extra process's CPU (listed for information).
  for (const c of [1, 10]) {
    const lookup = find('ours', 'lookup', c);
    const direct = find('direct', 'lookup', c);
    const target = `lookup, ${c} client${c > 1 ? 's (saturated machine: for information)' : ''}: p50 within 2 ms of the direct subgraph call`;
    out.push(
      lookup?.p50 != null && direct?.p50 != null
        ? {
            target,
            measured: `${lookup.p50.toFixed(2)} ms vs ${direct.p50.toFixed(2)} ms (${lookup.p50 >= direct.p50 ? '+' : ''}${(lookup.p50 - direct.p50).toFixed(2)} ms)`,
            met: lookup.p50 - direct.p50 <= 2,
          }
        : { target, measured: 'needs ours and direct lookups', met: null },
    );
  }
  const on = find('ours', 'redaction', 10);
  const off = find('ours-policy-off', 'redaction', 10);
  out.push(
    on && off
      ? {
          target: 'redaction, 100 cases, 10 clients: throughput with the gateway policy on ÷ off ≥ 0.9',
          measured: `${on.requestsPerSecond} ÷ ${off.requestsPerSecond} req/s = ${(on.requestsPerSecond / off.requestsPerSecond).toFixed(2)}; gateway CPU ${on.gatewayCpuUs} vs ${off.gatewayCpuUs} µs/request`,
          met: on.requestsPerSecond / off.requestsPerSecond >= 0.9,
        }
      : {
          target: 'redaction, 100 cases, 10 clients: throughput with the gateway policy on ÷ off ≥ 0.9',
          measured: 'needs ours and ours-policy-off on the redaction workload',
          met: null,
        },
  );
  const rss = notes.find((n) => n.store === 'sqlite' && n.gateway === 'ours')?.peakRssMiB;
  out.push({
    target: 'our gateway peak RSS < 300 MB',
    measured: rss ? `${rss} MiB` : 'not measured',
    met: rss ? rss * 1.048576 < 300 : null,
  });
  for (const store of ['sqlite', 'postgres'] as const) {
    const m = find('ours', 'mutation', 50, store);
    out.push(
      m
        ? {
            target: `status mutations through our gateway, 50 clients, ${store}${store === 'sqlite' ? ': ≥ 1000/s' : ''}, 0 lost updates, 0 errors`,
            measured: `${m.requestsPerSecond}/s${store === 'sqlite' && m.requestsPerSecond < 1000 ? ` (${Math.round((1 - m.requestsPerSecond / 1000) * 100)}% short)` : ''}, ${m.lostUpdates} lost, ${m.errors} errors; CPU per mutation: gateway ${m.gatewayCpuUs} µs, cases subgraph ${m.cpuUs.cases} µs`,
            met: (store === 'postgres' || m.requestsPerSecond >= 1000) && m.lostUpdates === 0 && m.errors === 0,
          }
        : { target: `status mutations through our gateway, 50 clients, ${store}`, measured: 'not measured', met: null },
    );
  }
  return out;
}

/**
 * The newest main-thread profile in a folder. Node names each thread's file CPU.<date>.<time>.<pid>.<thread>.<n>;
 * thread 0 is the service, the others are tsx's loader thread, which idles.
 */
function mainThreadProfile(folder: string): string | undefined {
  return fs
    .readdirSync(folder)
    .filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    .map((f) => path.join(folder, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
}

/** With JIEFEN_PROFILE_DIR, the top costs of each gateway's profile, so a missed target names where the time goes. */
function profileSection(): string {
  const dir = process.env.JIEFEN_PROFILE_DIR;
  if (!dir || !fs.existsSync(dir)) return '';
  const parts: string[] = ['\n## Top costs in the CPU profiles (JIEFEN_PROFILE_DIR)\n'];
  for (const sub of fs.readdirSync(dir).sort()) {
    const newest = mainThreadProfile(path.join(dir, sub));
    if (!newest) continue;
    const summary = summarize(newest, 8);
    parts.push(
      `**${sub}** (${summary.totalMs.toFixed(0)} ms sampled over the whole run): ${summary.byPackage.map((r) => `${r.what} ${(r.share * 100).toFixed(0)}%`).join(', ')}\n`,
    );
    parts.push(summary.byFunction.map((r) => `- ${(r.share * 100).toFixed(1)}% ${r.what}`).join('\n') + '\n');
  }
  return parts.join('\n');
}
