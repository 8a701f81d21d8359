/**
 * The gateway refuses an abusive request before it costs anything: every operation limit, for every caller
 * (anonymous too), on both request paths (a JSON POST takes the lean path, a GET Apollo Server's pipeline), with
 * LIMIT_EXCEEDED naming the limit and its value; a body over its limit is answered 413, never a reset connection.
 * The defaults let the README's queries and the dashboard query through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../gateway/limits.js';
import { DASHBOARD_QUERY, dashboardVariables } from '../bench/load/dashboard-query.js';
import { codesOf, dataOf, startHub, type GraphQLResult, type Hub } from './support/hub.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 40, institutions: 40 });
});
afterAll(async () => {
  await hub?.close();
});

const repeat = (n: number, text: (i: number) => string, glue = ' ') =>
  Array.from({ length: n }, (_, i) => text(i)).join(glue);

/** `levels` times Institution → its unit → the unit's first institution: four levels of depth each, cost ~2 each. */
const nested = (levels: number, leaf = 'id'): string =>
  levels === 0
    ? leaf
    : `supervisingUnit { managedInstitutions(first: 1) { edges { node { ${nested(levels - 1, leaf)} } } } }`;
/** A fragment spread eight times in each of the next: F3 holds 8³ spreads of F0's two fields. */
const FRAGMENT_FAN = [
  'fragment F0 on District { code name }',
  ...[1, 2, 3].map((i) => `fragment F${i} on District { ${repeat(8, () => `...F${i - 1}`)} }`),
].join('\n');

/** A document over each limit by one step (or, for tokens and selections, far over), and over no other limit. */
const OVER: Record<string, string> = {
  tokens: `{ districts { ${repeat(5100, () => 'code')} } }`,
  depth: `{ institutions(first: 1) { edges { node { ${nested(3)} } } } }`,
  aliases: `{ districts { ${repeat(DEFAULT_LIMITS.aliases + 1, (i) => `a${i}: code`)} } }`,
  rootFields: `{ ${repeat(DEFAULT_LIMITS.rootFields + 1, (i) => `d${i}: districts { code }`)} }`,
  directives: `{ districts { ${repeat(Math.ceil((DEFAULT_LIMITS.directives + 1) / 2), (i) => `c${i}: code @include(if: true) @skip(if: false)`)} } }`,
  selections: `{ districts { ...F3 } }\n${FRAGMENT_FAN}`,
  repeatedFields: `{ districts { ${repeat(DEFAULT_LIMITS.repeatedFields + 1, () => 'code')} } }`,
  cost: '{ cases(first: 500) { edges { node { institution { cases(first: 100) { edges { node { id } } } } } } } }',
};

async function get(query: string, headers: Record<string, string> = {}): Promise<GraphQLResult> {
  const response = await fetch(`${hub.urls.gateway}?query=${encodeURIComponent(query)}`, {
    headers: { 'apollo-require-preflight': 'true', ...headers },
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe('each operation limit', () => {
  for (const [limit, query] of Object.entries(OVER)) {
    it(`refuses a document over '${limit}', naming the limit and its value, for every caller on both paths`, async () => {
      const authorization = `Bearer ${await hub.token('admin')}`;
      const attempts = {
        'admin, POST': await hub.post(hub.urls.gateway, { query }, { authorization }),
        'anonymous, POST': await hub.post(hub.urls.gateway, { query }),
        'admin, GET': query.length < 6000 ? await get(query, { authorization }) : undefined,
      };
      for (const [who, result] of Object.entries(attempts)) {
        if (!result) continue;
        expect(result.status, who).toBe(400);
        expect(result.body.errors, who).toHaveLength(1);
        const [error] = result.body.errors!;
        expect(error!.extensions, who).toEqual({
          code: 'LIMIT_EXCEEDED',
          limit,
          max: DEFAULT_LIMITS[limit as keyof typeof DEFAULT_LIMITS],
        });
        expect(error!.message, who).toContain(`'${limit}' is ${DEFAULT_LIMITS[limit as keyof typeof DEFAULT_LIMITS]}`);
        expect(result.body.data, who).toBeUndefined();
      }
    });
  }

  it('counts page sizes through variables: the same document is cheap with a small page and refused with a large one', async () => {
    const query =
      'query($n: Int) { cases(first: $n) { edges { node { institution { cases(first: 100) { edges { node { id } } } } } } } }';
    expect(codesOf(await hub.query(query, { n: 5 }))).toEqual([]);
    const refused = await hub.query(query, { n: 500 });
    expect(refused.body.errors?.[0]?.extensions).toEqual({
      code: 'LIMIT_EXCEEDED',
      limit: 'cost',
      max: DEFAULT_LIMITS.cost,
    });
  });

  it('reports only the limit for a document that is also invalid: the specified rules never saw it', async () => {
    // Over the depth limit, and with a field conflict (one response name for two fields) validation would report.
    const query = `{ a: districts { code } a: institutions(first: 1) { totalCount } ${OVER.depth!.slice(1, -1)} }`;
    const result = await hub.query(query);
    expect(result.body.errors?.map((e) => e.extensions?.limit)).toEqual(['depth']);
  });

  it('counts fragments where they are spread: a chain of nested fragments is refused by depth', async () => {
    const chain = Array.from(
      { length: 60 },
      (_, i) => `fragment F${i} on Institution { ${nested(1, i < 59 ? `...F${i + 1}` : 'id')} }`,
    ).join('\n');
    const result = await hub.query(`{ institutions(first: 1) { edges { node { ...F0 } } } }\n${chain}`);
    expect(result.body.errors?.map((e) => e.extensions?.limit)).toEqual(['depth']);
  });
});

describe('the defaults', () => {
  it("let the README's queries and the dashboard query through", async () => {
    const readme = [
      '{ cases(first: 5, filter: { status: RESOLVED, district: "310104" }) { totalCount pageInfo { hasNextPage endCursor } edges { node { id status category submittedAt institution { name kind } supervisingUnit { name } referrals { kind status result target { name } } outcomeConfirmed } } } }',
      'query($id: ID!) { institution(id: $id) { name kind districtName supervisingUnit { name } cases(first: 10, filter: { status: ACCEPTED }) { totalCount edges { node { id submittedAt } } } referralsReceived(first: 10) { totalCount edges { node { kind status case { id status } } } } } }',
      '{ referrals(first: 3, filter: { kind: JUDICIAL_CONFIRMATION }) { edges { node { id status result documentNumber target { name } case { id status institution { name } } } } } }',
    ];
    for (const query of readme) expect(codesOf(await hub.query(query, { id: 'IN-00001' }))).toEqual([]);
    const dashboard = await hub.query(
      DASHBOARD_QUERY,
      dashboardVariables('310104', { from: '2025-11', to: '2026-10' }),
      { role: 'supervisor', org: 'SU-JUSTICE' },
    );
    expect(codesOf(dashboard)).toEqual([]);
    expect(dataOf(dashboard).institutions.totalCount).toBeGreaterThan(0);
  });
});

describe('the request body', () => {
  it('over its limit is answered 413 with a GraphQL error, and the connection is not reset', async () => {
    const body = JSON.stringify({
      query: '{ districts { code } }',
      variables: { pad: 'x'.repeat(DEFAULT_LIMITS.bodyBytes + 50_000) },
    });
    for (const headers of [{}, { authorization: `Bearer ${await hub.token('admin')}` }] as Record<string, string>[]) {
      const response = await fetch(hub.urls.gateway, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({
        errors: [
          {
            message: `request body is larger than the limit 'bodyBytes' of ${DEFAULT_LIMITS.bodyBytes} bytes`,
            extensions: { code: 'PAYLOAD_TOO_LARGE', limit: 'bodyBytes', max: DEFAULT_LIMITS.bodyBytes },
          },
        ],
      });
    }
  });
});

describe('a browser', () => {
  it('asking for /graphql gets no page that loads anything from outside this machine', async () => {
    const response = await fetch(hub.urls.gateway, { headers: { accept: 'text/html' } });
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(text).not.toMatch(/https?:\/\//);
    expect(text).not.toMatch(/<script/i);
  });
});
