/**
 * Load generator for status mutations, run in its own process: each of C clients owns one case and records
 * respondent contacts on it back to back with the version it last saw, for a fixed time after a warm-up.
 * Prints one JSON line: counts, latency percentiles, and successes per case (to count lost updates afterwards).
 */
interface Plan {
  gatewayUrl: string;
  durationMs: number;
  warmupMs: number;
  clients: { caseId: string; version: number; token: string }[];
}

const plan: Plan = JSON.parse(process.argv[2]!);
const MUTATION = 'mutation($id: ID!, $v: Int!, $at: DateTime!) { recordRespondentContact(id: $id, contactedAt: $at, willing: true, expectedVersion: $v) { version } }';
const latencies: number[] = [];
const successes: Record<string, number> = {};
let errors = 0;
const errorSamples: string[] = [];
let measuring = false;

async function client(c: Plan['clients'][number], until: number) {
  let version = c.version;
  successes[c.caseId] = 0;
  while (Date.now() < until) {
    const started = performance.now();
    const response = await fetch(plan.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
      body: JSON.stringify({ query: MUTATION, variables: { id: c.caseId, v: version, at: new Date(Date.now() - 60_000).toISOString() } }),
    });
    const body = await response.json() as { data?: { recordRespondentContact?: { version: number } }; errors?: unknown[] };
    const elapsed = performance.now() - started;
    const next = body.data?.recordRespondentContact?.version;
    if (next) {
      version = next;
      successes[c.caseId]!++;
      if (measuring) latencies.push(elapsed);
    } else {
      errors++;
      if (errorSamples.length < 3) errorSamples.push(JSON.stringify(body.errors).slice(0, 300));
    }
  }
}

const start = Date.now();
setTimeout(() => { measuring = true; }, plan.warmupMs);
const measuredFrom = start + plan.warmupMs;
await Promise.all(plan.clients.map((c) => client(c, start + plan.warmupMs + plan.durationMs)));
const measuredMs = Date.now() - measuredFrom;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! : null;
console.log(JSON.stringify({
  measured: latencies.length,
  perSecond: latencies.length / (measuredMs / 1000),
  p50: pct(0.5), p95: pct(0.95), p99: pct(0.99),
  errors, errorSamples, successes,
}));
