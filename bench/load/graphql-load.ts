/**
 * Load generator, run in its own process: autocannon with C connections sends one workload's GraphQL requests
 * for warm-up + measured seconds. At the warm-up's end and at the finish it reads the CPU time of the watched
 * processes (the gateway, the subgraphs) from /proc, so their CPU per request covers the measured window only.
 * Prints one JSON line.
 *
 * Each request is built per connection: queries rotate through their variable sets; a status mutation client
 * owns one case and sends the version it last saw, so versions never collide between clients.
 */
import autocannon from 'autocannon';
import { cpuSeconds } from './process-cpu.js';
import { signInternalToken } from '../../kit/internal-token.js';
import type { Principal } from '../../kit/principal.js';
import { signDevToken } from '../../gateway/dev-token.js';

export interface LoadPlan {
  url: string;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** `user`: a development user token (our gateway authenticates users); `internal`: the subgraphs' token, passed on by peers. */
  auth: { kind: 'user' | 'internal'; secret: string };
  workload:
    | { kind: 'query'; query: string; variables: Record<string, unknown>[]; principal: Principal }
    | { kind: 'mutation'; query: string; cases: { id: string; version: number; principal: Principal }[] };
  /** Processes whose CPU time is read before and after the measured window, by name. */
  watch: Record<string, number>;
}

const plan: LoadPlan = JSON.parse(process.argv[2]!);
const readCpu = () => Object.fromEntries(Object.entries(plan.watch).map(([name, pid]) => [name, cpuSeconds(pid)]));

// Tokens for each principal; internal ones live at most 60 s, so they are renewed every 30 s.
const tokens = new Map<string, string>();
const keyOf = (p: Principal) => `${p.role}:${p.org ?? ''}:${p.sub}`;
const principals =
  plan.workload.kind === 'query' ? [plan.workload.principal] : plan.workload.cases.map((c) => c.principal);
async function mintTokens() {
  for (const p of principals) {
    tokens.set(
      keyOf(p),
      `Bearer ${
        plan.auth.kind === 'user'
          ? await signDevToken({ sub: p.sub, role: p.role, org: p.org }, plan.auth.secret, 3600)
          : await signInternalToken(p, plan.auth.secret)
      }`,
    );
  }
}
await mintTokens();
const renew = setInterval(() => void mintTokens(), 30_000);

let measuring = false;
const latencies: number[] = [];
let errors = 0;
const errorSamples: string[] = [];
/** Versions each mutation client saw confirmed, per case: a version confirmed twice would be a lost update. */
const confirmed: Record<string, number[]> = {};

function recordOutcome(status: number, body: string): void {
  if (status === 200 && !body.includes('"errors"')) return;
  if (!measuring) return;
  errors++;
  if (errorSamples.length < 3) errorSamples.push(`${status} ${body.slice(0, 300)}`);
}

let clientIndex = 0;
function setupClient(client: any): void {
  const index = clientIndex++;
  const workload = plan.workload;
  if (workload.kind === 'query') {
    let turn = index;
    const headers = { 'content-type': 'application/json' } as Record<string, string>;
    client.setRequests([
      {
        method: 'POST',
        setupRequest(request: any) {
          const variables = workload.variables[turn++ % workload.variables.length];
          return {
            ...request,
            headers: { ...headers, authorization: tokens.get(keyOf(workload.principal))! },
            body: JSON.stringify({ query: workload.query, variables }),
          };
        },
        onResponse: recordOutcome,
      },
    ]);
    return;
  }
  const mine = workload.cases[index % workload.cases.length]!;
  confirmed[mine.id] ??= [];
  client.setRequests([
    {
      method: 'POST',
      setupRequest(request: any) {
        const variables = { id: mine.id, v: mine.version, at: new Date(Date.now() - 60_000).toISOString() };
        return {
          ...request,
          headers: { 'content-type': 'application/json', authorization: tokens.get(keyOf(mine.principal))! },
          body: JSON.stringify({ query: workload.query, variables }),
        };
      },
      onResponse(status: number, body: string) {
        recordOutcome(status, body);
        try {
          const parsed = JSON.parse(body);
          const version = parsed.data?.recordRespondentContact?.version;
          if (typeof version === 'number') {
            confirmed[mine.id]!.push(version);
            mine.version = version;
          } else if (parsed.errors?.[0]?.extensions?.currentVersion) {
            mine.version = parsed.errors[0].extensions.currentVersion;
          }
        } catch {
          /* counted as an error above */
        }
      },
    },
  ]);
}

let cpuBefore: Record<string, number> = {};
let measuredFrom = 0;
const instance = autocannon({
  url: plan.url,
  connections: plan.connections,
  duration: plan.warmupSeconds + plan.seconds,
  method: 'POST',
  setupClient,
  timeout: 30,
});
instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
  if (measuring) latencies.push(responseTime);
});
setTimeout(() => {
  cpuBefore = readCpu();
  measuredFrom = performance.now();
  measuring = true;
}, plan.warmupSeconds * 1000);

const result = await instance;
const cpuAfter = readCpu();
const measuredSeconds = (performance.now() - measuredFrom) / 1000;
measuring = false;
clearInterval(renew);
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! : null;
const requests = latencies.length;
console.log(
  JSON.stringify({
    requests,
    perSecond: requests / measuredSeconds,
    p50: pct(0.5),
    p95: pct(0.95),
    p99: pct(0.99),
    errors: errors + result.errors + result.timeouts,
    errorSamples,
    cpuPerRequestUs: Object.fromEntries(
      Object.keys(plan.watch).map((name) => [
        name,
        requests ? ((cpuAfter[name]! - cpuBefore[name]!) / requests) * 1e6 : null,
      ]),
    ),
    confirmed,
  }),
);
