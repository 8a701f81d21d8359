/**
 * Rate limits per principal: a role's budget (a rate a second and a burst over ten seconds) holds across every
 * gateway process that shares a Redis, refusals are 429 with Retry-After before the document is read, a request
 * refused for what it sent counts ten, and with Redis out of reach each process still enforces the limit alone and
 * says so in its log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitUntilReady } from '../scripts/processes.js';
import { DEFAULT_GATEWAY_SETTINGS, type GatewaySettings } from '../gateway/settings.js';
import { rateLimitsFrom } from '../gateway/rate-limits.js';
import { ConfigError } from '../kit/config.js';
import { codesOf, startHub, type GraphQLResult, type Hub } from './support/hub.js';

const REDIS_URL = process.env.JIEFEN_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
/** Each institution may send 1 a second, and 3 more over ten seconds: 4 at once. */
const BUDGET = { perSecond: 1, burst: 3, refusalWeight: 10 };
const settings = (redisUrl?: string): GatewaySettings => ({
  ...DEFAULT_GATEWAY_SETTINGS,
  rateLimits: { ...DEFAULT_GATEWAY_SETTINGS.rateLimits, institution: BUDGET },
  redisUrl,
});

let hub: Hub;
const children: ChildProcess[] = [];
beforeAll(async () => {
  hub = await startHub({ cases: 20, institutions: 40 });
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await hub?.close();
});

/** A gateway in a process of its own (`gateway/main.ts`, as `npm start` runs it) over the hub's subgraphs. */
async function gatewayProcess(env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, '..', 'gateway', 'main.ts')],
    {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        GATEWAY_PORT: String(port),
        CASES_URL: hub.urls.cases,
        INSTITUTIONS_URL: hub.urls.institutions,
        REFERRALS_URL: hub.urls.referrals,
        ...env,
      },
      stdio: 'ignore',
    },
  );
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${url}/readyz`);
  return `${url}/graphql`;
}

async function burst(url: string, n: number, sub: string): Promise<GraphQLResult[]> {
  const authorization = `Bearer ${await hub.token('institution', 'IN-00001', sub)}`;
  return Promise.all(
    Array.from({ length: n }, () => hub.post(url, { query: '{ districts { code } }' }, { authorization })),
  );
}

/** What the budget allows in `seconds`: the burst, and the rate for each second begun. */
const allowed = (seconds: number) => BUDGET.burst + BUDGET.perSecond * Math.ceil(seconds + 0.001);

/** A gateway of its own where an institution may send 1 a second and 12 more, and a refusal counts 10. */
const weightedGateway = () =>
  hub.startGateway({
    settings: {
      ...DEFAULT_GATEWAY_SETTINGS,
      rateLimits: {
        ...DEFAULT_GATEWAY_SETTINGS.rateLimits,
        institution: { perSecond: 1, burst: 12, refusalWeight: 10 },
      },
    },
    rateLimitKeyPrefix: `test-${randomUUID()}`,
  });

describe('rate limits', () => {
  it('are shared by two gateway processes through Redis', async () => {
    const env = { JIEFEN_REDIS_URL: REDIS_URL, JIEFEN_RATE_LIMITS: JSON.stringify({ institution: BUDGET }) };
    const [a, b] = await Promise.all([gatewayProcess(env), gatewayProcess(env)]);
    // A principal of its own: the keys in Redis are this test's alone.
    const sub = `shared-${randomUUID()}`;
    const started = Date.now();
    const first = await burst(a, 4, sub);
    const second = await burst(b, 4, sub);
    const seconds = (Date.now() - started) / 1000;
    const answered = [...first, ...second].filter((r) => r.status === 200).length;
    // Counted apart, each gateway would have answered all four.
    expect(answered).toBeLessThanOrEqual(allowed(seconds));
    expect(answered).toBeGreaterThanOrEqual(BUDGET.burst + BUDGET.perSecond);
    expect(second.some((r) => r.status === 429)).toBe(true);
  });

  it('refuse with 429, Retry-After and extensions.retryAfter, before the document is read', async () => {
    const url = await hub.startGateway({ settings: settings(REDIS_URL), rateLimitKeyPrefix: `test-${randomUUID()}` });
    await burst(url, 6, 'refused');
    const authorization = `Bearer ${await hub.token('institution', 'IN-00001', 'refused')}`;
    const result = await hub.post(url, { query: '{ not valid at all' }, { authorization });
    expect(result.status).toBe(429);
    const retryAfter = Number(result.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 10).toBe(true);
    expect(result.body.errors).toEqual([
      { message: `too many requests: try again in ${retryAfter} s`, extensions: { code: 'RATE_LIMITED', retryAfter } },
    ]);
  });

  it('count a request refused for what it sent as ten', async () => {
    const url = await weightedGateway();
    const authorization = `Bearer ${await hub.token('institution', 'IN-00001', 'refused-once')}`;
    const refused = await hub.post(url, { query: '{ not valid at all' }, { authorization });
    expect(codesOf(refused)).toEqual(['GRAPHQL_PARSE_FAILED']);
    const started = Date.now();
    const after = await burst(url, 8, 'refused-once');
    const seconds = (Date.now() - started) / 1000;
    // 13 in the budget, 10 spent on the refusal: 3 left, and 1 for each second begun since.
    const answered = after.filter((r) => r.status === 200).length;
    expect(answered).toBeGreaterThanOrEqual(3);
    expect(answered).toBeLessThanOrEqual(3 + Math.ceil(seconds + 0.001));
    expect(after.some((r) => r.status === 429)).toBe(true);
    // A principal that sent nothing refused has its whole budget.
    expect((await burst(url, 8, 'never-refused')).every((r) => r.status === 200)).toBe(true);
  });

  it('charge a body too large for the limit like any other refusal', async () => {
    const url = await weightedGateway();
    const authorization = `Bearer ${await hub.token('institution', 'IN-00001', 'too-large')}`;
    const large = await hub.post(
      url,
      { query: '{ districts { code } }', variables: { pad: 'x'.repeat(1_100_000) } },
      { authorization },
    );
    expect(large.status).toBe(413);
    const after = await burst(url, 8, 'too-large');
    expect(after.some((r) => r.status === 429)).toBe(true);
  });

  it('are per principal: another institution keeps its own budget', async () => {
    const url = await hub.startGateway({ settings: settings(REDIS_URL), rateLimitKeyPrefix: `test-${randomUUID()}` });
    await burst(url, 6, 'spender');
    expect((await burst(url, 1, 'saver')).map((r) => r.status)).toEqual([200]);
  });

  it('still hold in each process when Redis cannot be reached, with a warning', async () => {
    const url = await hub.startGateway({
      settings: settings('redis://127.0.0.1:1'),
      rateLimitKeyPrefix: `test-${randomUUID()}`,
    });
    const started = Date.now();
    const results = await burst(url, 8, 'alone');
    const seconds = (Date.now() - started) / 1000;
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(allowed(seconds));
    expect(codesOf(results.find((r) => r.status === 429)!)).toEqual(['RATE_LIMITED']);
    expect(hub.logs.some((line) => line.level === 40 && /Redis cannot be reached/.test(String(line.msg)))).toBe(true);
  });

  it('are configured per role, and a wrong setting is named without its value', () => {
    expect(rateLimitsFrom('off')).toBeNull();
    expect(rateLimitsFrom('{"analyst":{"perSecond":5,"burst":10}}')!.analyst).toEqual({
      perSecond: 5,
      burst: 10,
      refusalWeight: 10,
    });
    expect(rateLimitsFrom('{"analyst":{"perSecond":5,"burst":10,"refusalWeight":1}}')!.analyst).toEqual({
      perSecond: 5,
      burst: 10,
      refusalWeight: 1,
    });
    expect(() => rateLimitsFrom('{"analyst":{"perSecond":5,"burst":10,"refusalWeight":0.5}}')).toThrow(
      /JIEFEN_RATE_LIMITS.analyst.refusalWeight/,
    );
    expect(() => rateLimitsFrom('{"秘密":{"perSecond":5,"burst":10}}')).toThrow(ConfigError);
    expect(() => rateLimitsFrom('{"秘密":{"perSecond":5,"burst":10}}')).not.toThrow(/秘密/);
    expect(() => rateLimitsFrom('{"analyst":{"perSecond":0,"burst":10}}')).toThrow(/JIEFEN_RATE_LIMITS.analyst/);
  });
});
