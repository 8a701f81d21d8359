/**
 * The dashboard workload: C clients (analyst tokens, so authentication and the cell-key method are on) ask the reference
 * dashboard query back to back, each for a district in turn, for a fixed time after a warm-up; then the
 * all-institutions query runs alone, several times. Returns latency percentiles and error counts.
 */
import { allInstitutionsQuery, DASHBOARD_PARTS, DASHBOARD_QUERY, dashboardVariables } from './dashboard-query.js';
import { Pool } from 'undici';
import { DISTRICT_CODES } from '../../kit/reference-data.js';

export interface DashboardPlan {
  gatewayUrl: string;
  token: string;
  clients: number;
  warmupMs: number;
  durationMs: number;
  period: { from: string; to: string };
  allInstitutionsRuns: number;
  /** CPU time (ms) each measured process has used so far: sampled around the concurrent phase. */
  cpuMs?: () => Record<string, number>;
}

export interface DashboardResult {
  dashboard: {
    cpuPerAnswer: Record<string, number>;
    measured: number;
    perSecond: number;
    p50: number | null;
    p95: number | null;
    p99: number | null;
    errors: number;
    errorSamples: string[];
    institutionsPerAnswer: number;
    zeroRows: number;
    rows: number;
  };
  allInstitutions: { runs: number; institutions: number; p50: number | null; max: number | null; errors: number };
  /** The same without overdue counts and percentiles (counts and rates only). */
  allInstitutionsCounts: { runs: number; institutions: number; p50: number | null; max: number | null; errors: number };
  /** The institutions list alone, without statistics (what the gateway and registry cost by themselves). */
  allInstitutionsListOnly: {
    runs: number;
    institutions: number;
    p50: number | null;
    max: number | null;
    errors: number;
  };
  /** Median latency of each part of the dashboard query asked alone, one request at a time. */
  parts: Record<string, number | null>;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : null;

/**
 * Keep-alive connections to the gateway, one per client: undici's request API, which costs this process a fraction
 * of what fetch() does (the load generator shares the machine's two cores with the hub it measures).
 */
const pools = new Map<string, Pool>();

async function ask(plan: DashboardPlan, query: string, variables: Record<string, unknown>) {
  const url = new URL(plan.gatewayUrl);
  let pool = pools.get(url.origin);
  if (!pool) pools.set(url.origin, (pool = new Pool(url.origin, { connections: plan.clients, pipelining: 1 })));
  const started = performance.now();
  const response = await pool.request({
    method: 'POST',
    path: url.pathname,
    body: JSON.stringify({ query, variables }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${plan.token}` },
  });
  const body = (await response.body.json()) as { data?: any; errors?: unknown[] };
  return { ms: performance.now() - started, body };
}

export async function runDashboardWorkload(plan: DashboardPlan): Promise<DashboardResult> {
  // One at a time first: what each part costs without queueing behind the others.
  const parts: Record<string, number | null> = {};
  for (const [name, query] of Object.entries(DASHBOARD_PARTS)) {
    const times: number[] = [];
    // Two passes over the same 8 districts: the first warms the stores' caches, the second is measured.
    for (let i = 0; i < 16; i++) {
      const { ms, body } = await ask(plan, query, dashboardVariables(DISTRICT_CODES[i % 8]!, plan.period));
      if (i >= 8 && !body.errors) times.push(ms);
    }
    parts[name] = percentile(
      times.sort((a, b) => a - b),
      0.5,
    );
  }
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let institutions = 0;
  let answers = 0;
  let rows = 0;
  let zeroRows = 0;
  const start = Date.now();
  const until = start + plan.warmupMs + plan.durationMs;
  let cpuAtStart: Record<string, number> | null = null;
  let answersAtStart = 0;
  const warm = setTimeout(() => {
    cpuAtStart = plan.cpuMs?.() ?? null;
    answersAtStart = completed;
  }, plan.warmupMs);
  let completed = 0;
  await Promise.all(
    Array.from({ length: plan.clients }, async (_, client) => {
      for (let i = client; Date.now() < until; i += plan.clients) {
        const district = DISTRICT_CODES[i % DISTRICT_CODES.length]!;
        const { ms, body } = await ask(plan, DASHBOARD_QUERY, dashboardVariables(district, plan.period));
        completed++;
        if (body.errors || !body.data) {
          errors++;
          if (errorSamples.length < 3) errorSamples.push(JSON.stringify(body.errors).slice(0, 300));
          continue;
        }
        if (Date.now() - start < plan.warmupMs) continue;
        latencies.push(ms);
        answers++;
        const nodes = body.data.institutions.edges.map((e: any) => e.node);
        institutions += nodes.length;
        rows += nodes.length;
        zeroRows += nodes.filter((n: any) => n.caseStats.received === 0).length;
      }
    }),
  );
  clearTimeout(warm);
  // CPU per answer of each process over the measured phase (answers completed in it, warm-up ones excluded).
  const cpuAtEnd = plan.cpuMs?.() ?? null;
  const cpuPerAnswer: Record<string, number> = {};
  if (cpuAtStart && cpuAtEnd && completed > answersAtStart) {
    for (const [name, ms] of Object.entries(cpuAtEnd))
      cpuPerAnswer[name] = (ms - (cpuAtStart[name] ?? 0)) / (completed - answersAtStart);
  }
  latencies.sort((a, b) => a - b);

  const allInstitutions = await timeAlone(plan, allInstitutionsQuery(DISTRICT_CODES, 'all'), errorSamples);
  const allInstitutionsCounts = await timeAlone(plan, allInstitutionsQuery(DISTRICT_CODES, 'counts'), errorSamples);
  const allInstitutionsListOnly = await timeAlone(plan, allInstitutionsQuery(DISTRICT_CODES, 'none'), errorSamples);
  await Promise.all([...pools.values()].map((pool) => pool.close()));
  pools.clear();
  return {
    dashboard: {
      cpuPerAnswer,
      measured: latencies.length,
      perSecond: latencies.length / (plan.durationMs / 1000),
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      p99: percentile(latencies, 0.99),
      errors,
      errorSamples,
      institutionsPerAnswer: answers ? institutions / answers : 0,
      zeroRows,
      rows,
    },
    allInstitutions,
    allInstitutionsCounts,
    allInstitutionsListOnly,
    parts,
  };
}

/** Runs a query alone, several times (the first warms the caches and is not counted). */
async function timeAlone(plan: DashboardPlan, query: string, errorSamples: string[]) {
  const times: number[] = [];
  let errors = 0;
  let institutions = 0;
  for (let run = 0; run < plan.allInstitutionsRuns; run++) {
    const { ms, body } = await ask(plan, query, plan.period);
    if (body.errors || !body.data) {
      errors++;
      if (errorSamples.length < 3) errorSamples.push(JSON.stringify(body.errors).slice(0, 300));
      continue;
    }
    if (run > 0) times.push(ms);
    institutions = Object.values(body.data).reduce((n: number, page: any) => n + page.edges.length, 0);
  }
  times.sort((a, b) => a - b);
  return { runs: times.length, institutions, p50: percentile(times, 0.5), max: times.at(-1) ?? null, errors };
}
