/**
 * One request pipeline: every check holds on both request paths. Each case below is asked of a gateway with its lean
 * path and of one without (every request through Apollo Server's pipeline), and the answers must agree; each
 * request's log line says which path served it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../gateway/limits.js';
import { DEFAULT_GATEWAY_SETTINGS } from '../gateway/settings.js';
import type { ResponseHook } from '../gateway/response-hooks.js';
import type { GatewayContext } from '../gateway/service.js';
import { codesOf, dataOf, startHub, type GraphQLResult, type Hub } from './support/hub.js';

let hub: Hub;
const paths: Record<'lean' | 'full', string> = { lean: '', full: '' };
const hooked: string[] = [];
const mark: ResponseHook<GatewayContext> = ({ result, context }) => {
  hooked.push(context.principal.role);
  if (result.data) result.extensions = { ...result.extensions, marked: true };
};
// Analysts get a tight budget on both gateways, so the rate limit can be seen without flooding.
const settings = {
  ...DEFAULT_GATEWAY_SETTINGS,
  rateLimits: { ...DEFAULT_GATEWAY_SETTINGS.rateLimits, analyst: { perSecond: 1, burst: 2, refusalWeight: 10 } },
};
beforeAll(async () => {
  hub = await startHub({
    cases: 60,
    institutions: 40,
    responseHooks: [mark],
    gateway: { settings, rateLimitKeyPrefix: `lean-${process.pid}-${Date.now()}` },
  });
  paths.lean = hub.urls.gateway;
  paths.full = await hub.startGateway({
    leanPath: false,
    settings,
    rateLimitKeyPrefix: `full-${process.pid}-${Date.now()}`,
    responseHooks: [mark],
  });
});
afterAll(async () => {
  await hub?.close();
});

async function ask(
  path: 'lean' | 'full',
  query: string,
  variables: Record<string, unknown> = {},
  as: { role: string; org?: string; sub?: string } | null = { role: 'admin' },
): Promise<GraphQLResult> {
  const headers: Record<string, string> = as
    ? { authorization: `Bearer ${await hub.token(as.role, as.org, as.sub)}` }
    : {};
  return hub.post(paths[path], { query, variables }, headers);
}

const DEEP = `{ institutions(first: 1) { edges { node { ${'supervisingUnit { managedInstitutions(first: 1) { edges { node { '.repeat(3)}id${' } } } }'.repeat(3)} } } } }`;

describe.each(['lean', 'full'] as const)('on the %s path', (path) => {
  it('authenticates: a bad token is 401 UNAUTHENTICATED', async () => {
    const result = await hub.post(
      paths[path],
      { query: '{ districts { code } }' },
      { authorization: 'Bearer not-a-token' },
    );
    expect(result.status).toBe(401);
    expect(codesOf(result)).toEqual(['UNAUTHENTICATED']);
  });

  it('applies the operation limits', async () => {
    const result = await ask(path, DEEP);
    expect(result.body.errors?.map((e) => e.extensions)).toEqual([
      { code: 'LIMIT_EXCEEDED', limit: 'depth', max: DEFAULT_LIMITS.depth },
    ]);
  });

  it('applies the rate limits, answering 429 with Retry-After', async () => {
    const as = { role: 'analyst', sub: `analyst-${path}` };
    const results = await Promise.all(Array.from({ length: 6 }, () => ask(path, '{ districts { code } }', {}, as)));
    const refused = results.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.headers.get('retry-after')).toBe(String(refused[0]!.body.errors![0]!.extensions!.retryAfter));
    expect(codesOf(refused[0]!)).toEqual(['RATE_LIMITED']);
  });

  it('serves the public directory only to an anonymous caller', async () => {
    expect(codesOf(await ask(path, '{ institutions(first: 1) { edges { node { name } } } }', {}, null))).toEqual([]);
    const refused = await ask(path, '{ cases(first: 1) { totalCount } }', {}, null);
    expect(codesOf(refused)).toEqual(['UNAUTHENTICATED']);
  });

  it('picks the named operation, and refuses a document of several without one', async () => {
    const query = 'query A { districts { code } } query B { institutions(first: 1) { totalCount } }';
    const authorization = `Bearer ${await hub.token('admin')}`;
    expect(Object.keys(dataOf(await hub.post(paths[path], { query, operationName: 'B' }, { authorization })))).toEqual([
      'institutions',
    ]);
    const unnamed = await hub.post(paths[path], { query }, { authorization });
    expect(unnamed.status).toBe(400);
    expect(codesOf(unnamed)).toEqual(['BAD_REQUEST']);
  });

  it('admits by the redaction rule: a search by party name without clearance is FORBIDDEN', async () => {
    const result = await ask(
      path,
      '{ cases(first: 1, filter: { partyName: "张三" }) { totalCount } }',
      {},
      { role: 'steward' },
    );
    expect(codesOf(result)).toEqual(['FORBIDDEN']);
    expect(result.body.data?.cases ?? null).toBeNull();
  });

  it('scrubs input out of error messages', async () => {
    const invalid = await ask(path, '{ cases(first: 1, filter: { status: "秘密输入值" }) { totalCount } }');
    expect(codesOf(invalid)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(JSON.stringify(invalid.body)).not.toContain('秘密输入值');
    const coerced = await ask(
      path,
      'query($s: CaseStatus) { cases(first: 1, filter: { status: $s }) { totalCount } }',
      { s: '秘密输入值' },
    );
    expect(codesOf(coerced)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(coerced.body)).not.toContain('秘密输入值');
  });

  it('serves kept answers: a registry query asked again reads only the generation', async () => {
    const query = '{ institutions(first: 5) { totalCount edges { node { id name } } } }';
    const as = { role: 'admin', sub: `kept-${path}` };
    const first = dataOf(await ask(path, query, {}, as));
    hub.counters.institutions.reset();
    const second = dataOf(await ask(path, query, {}, as));
    expect(second).toEqual(first);
    expect(hub.counters.institutions.count()).toBe(1);
  });

  it('runs the response hooks', async () => {
    hooked.length = 0;
    const result = await ask(path, '{ districts { code } }', {}, { role: 'intake' });
    expect(result.body.extensions?.marked).toBe(true);
    expect(hooked).toEqual(['intake']);
  });
});

describe('the log', () => {
  it('says which path served each request', async () => {
    const requestId = `path-log-${Date.now()}`;
    for (const path of ['lean', 'full'] as const) {
      await hub.post(
        paths[path],
        { query: '{ districts { code } }' },
        { authorization: `Bearer ${await hub.token('admin')}`, 'x-request-id': `${requestId}-${path}` },
      );
    }
    await new Promise((settle) => setTimeout(settle, 50));
    const served = (id: string) =>
      hub.logs.find((line) => line.service === 'gateway' && line.requestId === id && line.msg === 'request')?.served;
    expect(served(`${requestId}-lean`)).toBe('lean');
    expect(served(`${requestId}-full`)).toBe('full');
  });
});
