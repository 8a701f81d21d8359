/**
 * The `abuse` workload (`npm run bench -- --workloads abuse`): each hostile request of issue 13's table sent to our
 * gateway, anonymous and authenticated. For each request: its answer, the time to that answer, and the gateway CPU
 * it cost (the mean over many sends, from /proc), with rate limits out of the way so each limit's own refusal is
 * measured; then the gateway's RSS after floods of distinct documents. Then, on a gateway with the default rate
 * limits, a probe client runs the join quiet and while an anonymous and an authenticated attacker send the table's
 * requests in a loop. Writes bench/abuse-report.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Agent, request } from 'undici';
import { cpuSeconds, rssMiB } from './load/process-cpu.js';
import type { LoadPlan } from './load/graphql-load.js';

export interface GatewayHandle {
  pid: number;
  stop(): Promise<void>;
}

export interface AbuseTarget {
  url: string;
  /** Our gateway with rate limits out of the way, and with the default ones. */
  start(limits: 'unlimited' | 'default'): Promise<GatewayHandle>;
  /** A user token of the admin, for the authenticated sends. */
  token: string;
  /** The probe's load plan (the join at one client), without its duration. */
  probe: Omit<LoadPlan, 'seconds' | 'warmupSeconds'>;
  runLoad(plan: LoadPlan): Promise<{ p99: number; p50: number; errors: number; perSecond: number }>;
}

interface Attack {
  name: string;
  /** The request body (JSON text) of the send's number: the same each time but for the floods of distinct documents. */
  body: (i: number) => string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  sends: number;
}

const repeat = (n: number, text: string) => Array.from({ length: n }, () => text).join(' ');
const json = (query: string) => JSON.stringify({ query });
const nestedFragments = (levels: number) =>
  `{ institutions(first: 1) { edges { node { ...F0 } } } }\n${Array.from(
    { length: levels },
    (_, i) =>
      `fragment F${i} on Institution { supervisingUnit { managedInstitutions(first: 1) { edges { node { ${i < levels - 1 ? `...F${i + 1}` : 'id'} } } } } }`,
  ).join('\n')}`;

/** A body made once: the attacker's own CPU would otherwise compete with the gateway for this machine's cores. */
const once = (make: () => string) => {
  let body: string | undefined;
  return () => (body ??= make());
};

/** Issue 13's table of requests. */
const ATTACKS: Attack[] = [
  {
    name: 'one field repeated 10,000 times (~88 KB)',
    body: once(() => json(`{ districts { ${repeat(10_000, 'code')} } }`)),
    sends: 100,
  },
  {
    name: 'one field repeated 40,000 times',
    body: once(() => json(`{ districts { ${repeat(40_000, 'code')} } }`)),
    sends: 50,
  },
  { name: '100,000 tokens', body: once(() => json(`{ districts { ${repeat(100_000, 'code')} } }`)), sends: 20 },
  {
    name: '5,000 aliases of case(id:)',
    body: once(() =>
      json(
        `{ ${Array.from({ length: 5000 }, (_, i) => `c${i}: case(id: "310000-2026-000000${i}") { id }`).join(' ')} }`,
      ),
    ),
    sends: 50,
  },
  { name: '200-level nested fragments', body: once(() => json(nestedFragments(200))), sends: 100 },
  {
    name: '60-level nested fragments (under the token limit)',
    body: once(() => json(nestedFragments(60))),
    sends: 100,
  },
  {
    name: '1.1 MB body',
    body: once(() => JSON.stringify({ query: '{ districts { code } }', variables: { pad: 'x'.repeat(1_100_000) } })),
    sends: 20,
  },
  { name: 'a browser GET of /graphql', method: 'GET', headers: { accept: 'text/html' }, body: () => '', sends: 100 },
];

/** Floods of 100 distinct documents of ~360 KB each, after which the gateway's RSS is read. */
const FLOODS: Attack[] = [
  {
    name: '100 distinct 360 KB documents of repeated fields',
    body: (i) => json(`query Q${i} { districts { ${repeat(40_000, 'code')} } }`),
    sends: 100,
  },
  {
    name: '100 distinct valid 360 KB documents (one long string each)',
    body: (i) =>
      json(
        `query Q${i} { institutions(first: 1, filter: { district: "${String(i).padStart(6, '0')}${'x'.repeat(360_000)}" }) { totalCount } }`,
      ),
    sends: 100,
  },
];

interface Measured {
  name: string;
  caller: string;
  status: number;
  answer: string;
  msToAnswer: number;
  gatewayCpuMs: number;
}

const dispatcher = new Agent({ connections: 4 });

type Sender = Pick<AbuseTarget, 'url' | 'token'> & { pid: number };

async function send(
  target: Sender,
  attack: Attack,
  i: number,
  authenticated: boolean,
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {
    ...(attack.method === 'GET' ? {} : { 'content-type': 'application/json' }),
    ...attack.headers,
  };
  if (authenticated) headers.authorization = `Bearer ${target.token}`;
  try {
    const response = await request(target.url, {
      method: attack.method ?? 'POST',
      headers,
      body: attack.method === 'GET' ? undefined : attack.body(i),
      dispatcher,
    });
    return { status: response.statusCode, text: await response.body.text() };
  } catch (error) {
    return { status: 0, text: `no HTTP answer: ${(error as Error).message}` };
  }
}

/** What the answer said, briefly: its error code and limit, or its status. */
function summary(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: { extensions?: { code?: string; limit?: string } }[] };
    const error = body.errors?.[0]?.extensions;
    if (error) return `${status} ${error.code}${error.limit ? ` (${error.limit})` : ''}`;
  } catch {
    /* not JSON */
  }
  return `${status}${text.startsWith('no HTTP') ? ` ${text}` : ''}`;
}

async function measureAttack(target: Sender, attack: Attack, authenticated: boolean): Promise<Measured> {
  const first = await send(target, attack, 0, authenticated);
  const before = cpuSeconds(target.pid);
  const started = process.hrtime.bigint();
  for (let i = 1; i <= attack.sends; i++) await send(target, attack, i, authenticated);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = cpuSeconds(target.pid) - before;
  return {
    name: attack.name,
    caller: authenticated ? 'admin' : 'anonymous',
    status: first.status,
    answer: summary(first.status, first.text),
    msToAnswer: ms / attack.sends,
    gatewayCpuMs: (cpu * 1000) / attack.sends,
  };
}

/** Sends attacks in a loop until `until`, as an attacker would, while the probe runs. */
async function attackUntil(target: Sender, until: number): Promise<number> {
  let sent = 0;
  const loops = [false, true].map(async (authenticated) => {
    for (let i = 0; Date.now() < until; i++) {
      const attack = ATTACKS[i % ATTACKS.length]!;
      await send(target, attack, i, authenticated);
      sent++;
    }
  });
  await Promise.all(loops);
  return sent;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function runAbuse(options: AbuseTarget, reportDir: string, seconds: number, rounds = 5): Promise<void> {
  const unlimited = await options.start('unlimited');
  const target: Sender = { url: options.url, token: options.token, pid: unlimited.pid };
  const rows: Measured[] = [];
  const floods: { name: string; answer: string; rssAfter: number; rssIdle: number }[] = [];
  let rssBefore: { now: number; peak: number };
  let peak: number;
  try {
    for (const attack of ATTACKS)
      for (const authenticated of [false, true]) rows.push(await measureAttack(target, attack, authenticated));
    rssBefore = rssMiB(target.pid);
    for (const flood of FLOODS) {
      let answer = '';
      for (let i = 0; i < flood.sends; i++) {
        const result = await send(target, flood, i, true);
        if (i === 0) answer = summary(result.status, result.text);
      }
      const rssAfter = rssMiB(target.pid).now;
      await new Promise((settle) => setTimeout(settle, 3000));
      floods.push({ name: flood.name, answer, rssAfter, rssIdle: rssMiB(target.pid).now });
    }
    peak = rssMiB(target.pid).peak;
  } finally {
    await unlimited.stop();
  }
  // Quiet and attacked probe runs, interleaved, medians of several rounds, with the rate limits as deployed.
  const limited = await options.start('default');
  const quiet: number[] = [];
  const attacked: number[] = [];
  let attacks = 0;
  try {
    const attacker: Sender = { ...target, pid: limited.pid };
    for (let round = 0; round < rounds; round++) {
      quiet.push(
        (await options.runLoad({ ...options.probe, watch: { gateway: limited.pid }, warmupSeconds: 1, seconds })).p99,
      );
      const until = Date.now() + (seconds + 1.5) * 1000;
      const [probe, sent] = await Promise.all([
        options.runLoad({ ...options.probe, watch: { gateway: limited.pid }, warmupSeconds: 1, seconds }),
        attackUntil(attacker, until),
      ]);
      attacked.push(probe.p99);
      attacks += sent;
    }
  } finally {
    await limited.stop();
  }
  const worstCpu = Math.max(...rows.filter((r) => r.status !== 200).map((r) => r.gatewayCpuMs));
  const ratio = median(attacked) / median(quiet);
  const report = `# Abuse benchmark

Generated by \`npm run bench -- --workloads abuse\` on ${new Date().toISOString()}. Each request below was sent to our
gateway (its own process, default limits) ${'many times'}; "ms to answer" and "gateway CPU" are means over the sends
(CPU from /proc), on a gateway whose rate limits are out of the way. The probe is the join (20 cases, three
subgraphs) at one client, run ${rounds} times quiet and ${rounds} times while two clients (anonymous, and an admin
other than the probe's) send these requests in a loop, interleaved, on a gateway with the default rate limits; medians.

## Targets

| target | measured | met |
| --- | --- | --- |
| every refusal under 20 ms of gateway CPU | worst ${worstCpu.toFixed(2)} ms | ${worstCpu < 20 ? 'yes' : 'NO'} |
| the probe's p99 during the attack within 2× of its quiet value | ${median(attacked).toFixed(1)} vs ${median(quiet).toFixed(1)} ms (×${ratio.toFixed(2)}; runs: quiet ${quiet.map((v) => v.toFixed(1)).join(', ')}; attacked ${attacked.map((v) => v.toFixed(1)).join(', ')}; ${attacks} attack requests) | ${ratio <= 2 ? 'yes' : 'NO'} |
| RSS under 300 MB after the distinct-documents floods | ${Math.max(...floods.map((f) => f.rssAfter))} MiB at most (peak ${peak!} MiB) | ${Math.max(...floods.map((f) => f.rssAfter)) * 1.048576 < 300 ? 'yes' : 'NO'} |

## Each request

| request | caller | answer | ms to answer | gateway CPU ms |
| --- | --- | --- | ---: | ---: |
${rows.map((r) => `| ${r.name} | ${r.caller} | ${r.answer} | ${r.msToAnswer.toFixed(2)} | ${r.gatewayCpuMs.toFixed(2)} |`).join('\n')}

## Floods of distinct documents

RSS before the floods: ${rssBefore!.now} MiB.

| flood | answer to the first | RSS after, MiB | RSS 3 s later, MiB |
| --- | --- | ---: | ---: |
${floods.map((f) => `| ${f.name} | ${f.answer} | ${f.rssAfter} | ${f.rssIdle} |`).join('\n')}
`;
  fs.writeFileSync(path.join(reportDir, 'abuse-report.md'), report);
  console.log(report);
}
