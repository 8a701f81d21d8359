/**
 * The failover benchmark (`npm run bench -- --workloads failover`): the failure drill of scripts/failover-drill.ts
 * on its own hub of processes, with each subgraph's default deadline, under a heavier load than the test's. Two
 * outages: the cases subgraph SIGKILLed (the supervisor starts it again) and the referrals subgraph SIGSTOPped
 * for a while, then released. Measured: the share of requests needing only the healthy offices answered in full
 * during the outage, how long an answer takes while an office hangs, how long until answers are whole again once
 * the office is back, and acknowledged writes missing from the store.
 */
import { DEFAULT_SUBGRAPH_TIMEOUT_MS } from '../kit/config.js';
import {
  DrillLoad,
  firstAnsweredInFull,
  lostWrites,
  samplesBetween,
  startDrillHub,
  type DrillHub,
  type Sample,
} from '../scripts/failover-drill.js';
import { BENCH_RATE_LIMITS } from './harness.js';

export interface FailoverFigures {
  timeoutMs: number;
  readers: number;
  writers: number;
  cases: number;
  kill: OutageFigures & { restartMs: number };
  freeze: FreezeFigures;
  /** The same freeze under 2 reading clients and 1 writing: what a hang costs without queueing behind other requests. */
  freezeLight: FreezeFigures;
}

type FreezeFigures = OutageFigures & {
  readers: number;
  writers: number;
  frozenMs: number;
  hungAnswers: Latency;
  hungAnswersWithinTarget: boolean;
};

interface OutageFigures {
  office: string;
  /** Requests needing only healthy offices, sent during the outage: answered in full, of all. */
  healthyAnswered: number;
  healthyTotal: number;
  healthyLatency: Latency;
  /** Requests needing the failed office during the outage, answered with it named. */
  namedTotal: number;
  namedLatency: Latency;
  /** From the office being back (ready, or released) to the first request then sent being answered in full. */
  recoveryMs: number | null;
  acknowledgedWrites: number;
  lostWrites: number;
  /** Answers that were neither whole nor an office named (the gateway failing): target 0. */
  otherFailures: number;
  /** What those answers said, by kind and error code, with how many. */
  otherFailureKinds: Record<string, number>;
}

interface Latency {
  p50: number | null;
  p99: number | null;
  max: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function latency(samples: Sample[]): Latency {
  const sorted = samples.map((s) => s.answeredAt - s.sentAt).sort((a, b) => a - b);
  const at = (p: number) =>
    sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!) : null;
  return { p50: at(0.5), p99: at(0.99), max: sorted.length ? Math.round(sorted.at(-1)!) : null };
}

async function outage(
  hub: DrillHub,
  load: DrillLoad,
  office: string,
  from: number,
  to: number,
  healthyKinds: Sample['kind'][],
  failedKinds: Sample['kind'][],
): Promise<OutageFigures> {
  const healthy = samplesBetween(load.samples, from, to, healthyKinds);
  const named = samplesBetween(load.samples, from, to, failedKinds).filter(
    (s) => s.outcome === 'partial' && s.unavailable.some((u) => u.subgraph === office),
  );
  const recovered = firstAnsweredInFull(load.samples, to, failedKinds);
  const writes = await lostWrites(hub.casesDb, load);
  const others = load.samples.filter(
    (s) => s.outcome === 'failed' && !(s.kind === 'write' && s.detail?.startsWith('CONFLICT')),
  );
  return {
    office,
    healthyAnswered: healthy.filter((s) => s.outcome === 'ok').length,
    healthyTotal: healthy.length,
    healthyLatency: latency(healthy),
    namedTotal: named.length,
    namedLatency: latency(named),
    recoveryMs: recovered === undefined ? null : Math.round(recovered - to),
    acknowledgedWrites: writes.acknowledged,
    lostWrites: writes.lost,
    otherFailures: others.length,
    otherFailureKinds: others.reduce<Record<string, number>>((kinds, s) => {
      const what = `${s.kind}: ${s.detail ?? 'no detail'}`;
      kinds[what] = (kinds[what] ?? 0) + 1;
      return kinds;
    }, {}),
  };
}

export async function runFailoverBench(options: {
  cases: number;
  readers?: number;
  writers?: number;
}): Promise<FailoverFigures> {
  const readers = options.readers ?? 16;
  const writers = options.writers ?? 8;
  const timeoutMs = DEFAULT_SUBGRAPH_TIMEOUT_MS;
  console.log(
    `failover: ${options.cases} cases, ${readers} readers and ${writers} writers, subgraph deadline ${timeoutMs} ms`,
  );
  // The readers are one principal asking far faster than a person would: the rate limits run with room, as in the
  // other workloads, so every refusal counted here is the failover's.
  const hub = await startDrillHub({
    cases: options.cases,
    institutions: 200,
    env: { JIEFEN_RATE_LIMITS: BENCH_RATE_LIMITS },
  });
  try {
    // Killed: the cases subgraph dies under load; the supervisor starts it again.
    const load = await DrillLoad.start(hub, readers, writers);
    await sleep(3000);
    const killedAt = performance.now();
    hub.signal('cases', 'SIGKILL');
    const backAt = await hub.readyAt('cases');
    await sleep(3000);
    await load.stop();
    await sleep(1000);
    const kill = {
      ...(await outage(hub, load, 'cases', killedAt, backAt, ['institutions'], ['cases', 'join'])),
      restartMs: Math.round(backAt - killedAt),
    };
    console.log(`  cases killed: ${JSON.stringify(kill)}`);

    const freeze = await freezeReferrals(hub, readers, writers, timeoutMs);
    const freezeLight = await freezeReferrals(hub, 2, 1, timeoutMs);
    return { timeoutMs, readers, writers, cases: options.cases, kill, freeze, freezeLight };
  } finally {
    await hub.close();
  }
}

/** The referrals subgraph stops answering (its connections stay open) for three deadlines, then is released. */
async function freezeReferrals(
  hub: DrillHub,
  readers: number,
  writers: number,
  timeoutMs: number,
): Promise<FreezeFigures> {
  const load = await DrillLoad.start(hub, readers, writers);
  await sleep(3000);
  const frozenAt = performance.now();
  hub.signal('referrals', 'SIGSTOP');
  await sleep(3 * timeoutMs);
  const releasedAt = performance.now();
  hub.signal('referrals', 'SIGCONT');
  await sleep(3000);
  await load.stop();
  await sleep(1000);
  const frozen = await outage(
    hub,
    load,
    'referrals',
    frozenAt,
    releasedAt,
    ['cases', 'institutions', 'write'],
    ['join'],
  );
  const hungAnswers = frozen.namedLatency;
  const figures = {
    ...frozen,
    readers,
    writers,
    frozenMs: Math.round(releasedAt - frozenAt),
    hungAnswers,
    hungAnswersWithinTarget: hungAnswers.max !== null && hungAnswers.max <= timeoutMs + 100,
  };
  console.log(`  referrals frozen, ${readers} readers and ${writers} writers: ${JSON.stringify(figures)}`);
  return figures;
}

/** The report's section on the figures. */
export function failoverSection(f: FailoverFigures, command: string, at: string): string {
  const share = (o: OutageFigures) =>
    `${o.healthyAnswered} of ${o.healthyTotal} (${o.healthyTotal ? ((o.healthyAnswered / o.healthyTotal) * 100).toFixed(1) : '–'} %)`;
  const ms = (l: Latency) => `p50 ${l.p50 ?? '–'} / p99 ${l.p99 ?? '–'} / max ${l.max ?? '–'} ms`;
  const met = (ok: boolean) => (ok ? 'yes' : 'NO');
  const rows = [
    [
      'requests needing only healthy offices answered in full, cases subgraph killed',
      share(f.kill),
      '100 %',
      met(f.kill.healthyAnswered === f.kill.healthyTotal),
    ],
    [
      'requests needing only healthy offices answered in full, referrals subgraph frozen',
      share(f.freeze),
      '100 %',
      met(f.freeze.healthyAnswered === f.freeze.healthyTotal),
    ],
    [
      'their answer time while referrals was frozen',
      ms(f.freeze.healthyLatency),
      `≤ ${f.timeoutMs + 100} ms`,
      met((f.freeze.healthyLatency.max ?? Infinity) <= f.timeoutMs + 100),
    ],
    [
      `answer time of joins needing the frozen referrals subgraph (referrals null, named), ${f.readers} + ${f.writers} clients`,
      `${ms(f.freeze.hungAnswers)} (${f.freeze.namedTotal} answers)`,
      `≤ ${f.timeoutMs + 100} ms`,
      met(f.freeze.hungAnswersWithinTarget),
    ],
    [
      `the same, ${f.freezeLight.readers} + ${f.freezeLight.writers} clients`,
      `${ms(f.freezeLight.hungAnswers)} (${f.freezeLight.namedTotal} answers); healthy offices ${share(f.freezeLight)}`,
      `≤ ${f.timeoutMs + 100} ms`,
      met(f.freezeLight.hungAnswersWithinTarget),
    ],
    [
      'answer time of reads needing the killed cases subgraph (named)',
      `${ms(f.kill.namedLatency)} (${f.kill.namedTotal} answers)`,
      `≤ ${f.timeoutMs + 100} ms`,
      met((f.kill.namedLatency.max ?? Infinity) <= f.timeoutMs + 100),
    ],
    [
      'recovery: cases ready again → first whole answer',
      `${f.kill.recoveryMs ?? '–'} ms (the supervisor restarted it in ${f.kill.restartMs} ms)`,
      '≤ 1000 ms',
      met(f.kill.recoveryMs !== null && f.kill.recoveryMs <= 1000),
    ],
    [
      'recovery: referrals released (SIGCONT) → first whole join',
      `${f.freeze.recoveryMs ?? '–'} ms (frozen ${f.freeze.frozenMs} ms)`,
      '≤ 1000 ms',
      met(f.freeze.recoveryMs !== null && f.freeze.recoveryMs <= 1000),
    ],
    [
      'acknowledged writes lost',
      `${f.kill.lostWrites} of ${f.kill.acknowledgedWrites} (kill), ${f.freeze.lostWrites} of ${f.freeze.acknowledgedWrites} and ${f.freezeLight.lostWrites} of ${f.freezeLight.acknowledgedWrites} (freezes)`,
      '0',
      met(f.kill.lostWrites + f.freeze.lostWrites + f.freezeLight.lostWrites === 0),
    ],
    [
      'answers neither whole nor naming the failed office',
      `${f.kill.otherFailures} (kill), ${f.freeze.otherFailures} and ${f.freezeLight.otherFailures} (freezes)`,
      '0',
      met(f.kill.otherFailures + f.freeze.otherFailures + f.freezeLight.otherFailures === 0),
    ],
  ];
  return `${FAILOVER_START}
## Failover

Generated by \`${command}\` on ${at}: the four services as supervised processes over ${f.cases} generated cases,
${f.readers} clients reading in turn cases only, institutions only, and cases with their institution and referrals, and
${f.writers} clients each recording respondent contacts on its own case, through the gateway, with each subgraph's
default deadline (${f.timeoutMs} ms). First the cases subgraph is SIGKILLed and started again by the supervisor; then
the referrals subgraph is SIGSTOPped for ${f.freeze.frozenMs} ms and released, once under that load and once under
${f.freezeLight.readers} reading and ${f.freezeLight.writers} writing clients. Writes are counted in the cases store
afterwards. Answer times are the clients' own, so under the full load they include the wait for one of the gateway's
admission slots (four requests per core) and for the 2 cores the four services and the clients share: compare with
the healthy requests' answer time beside them.

| measure | measured | target | met |
| --- | --- | --- | --- |
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}
${FAILOVER_END}
`;
}

export const FAILOVER_START = '<!-- failover -->';
export const FAILOVER_END = '<!-- /failover -->';
