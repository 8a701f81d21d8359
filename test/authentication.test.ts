import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { signDevToken } from '../gateway/dev-token.js';
import { signInternalToken } from '../kit/internal-token.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 50 });
});
afterAll(async () => {
  await hub?.close();
});

const CASES = { query: '{ cases(first: 1) { totalCount } }' };

async function withAuthorization(authorization: string | undefined, body: unknown = CASES) {
  return hub.post(hub.urls.gateway, body, authorization === undefined ? {} : { authorization });
}

function expectUnauthenticated(result: Awaited<ReturnType<typeof withAuthorization>>, message: RegExp) {
  expect(result.status).toBe(401);
  expect(codesOf(result)).toEqual(['UNAUTHENTICATED']);
  expect(result.body.errors![0]!.message).toMatch(message);
  expect(result.body.data ?? null).toBeNull();
}

describe('gateway authentication', () => {
  it('answers a valid token', async () => {
    const result = await withAuthorization(`Bearer ${await hub.token('analyst')}`);
    expect(dataOf(result).cases.totalCount).toBe(50);
  });

  it('refuses a request without a token, except for the public directory', async () => {
    expectUnauthenticated(await withAuthorization(undefined), /Query\.cases needs a token/);
  });

  it('refuses a token with a bad signature', async () => {
    const forged = await signDevToken({ sub: 'mallory', role: 'admin' }, 'not-the-secret');
    expectUnauthenticated(await withAuthorization(`Bearer ${forged}`), /signature is not valid/);
  });

  it('refuses an expired token', async () => {
    const expired = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('old')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(hub.config.jwt.secret));
    expectUnauthenticated(await withAuthorization(`Bearer ${expired}`), /token expired/);
  });

  it('refuses an unknown role, and an organisation role without its org', async () => {
    expectUnauthenticated(
      await withAuthorization(`Bearer ${await signDevToken({ sub: 'x', role: 'superuser' }, hub.config.jwt.secret!)}`),
      /unknown role 'superuser'/,
    );
    expectUnauthenticated(
      await withAuthorization(
        `Bearer ${await signDevToken({ sub: 'x', role: 'institution' }, hub.config.jwt.secret!)}`,
      ),
      /needs an org claim/,
    );
  });

  it('refuses a token without an expiry, a malformed header and garbage', async () => {
    const forever = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .sign(new TextEncoder().encode(hub.config.jwt.secret));
    expectUnauthenticated(await withAuthorization(`Bearer ${forever}`), /claim 'exp'/);
    expectUnauthenticated(await withAuthorization('Basic YWRtaW46YWRtaW4='), /must be "Bearer <token>"/);
    expectUnauthenticated(await withAuthorization('Bearer not.a.jwt'), /not a valid JWT/);
  });

  it('does not take the internal subgraph token as a user token', async () => {
    const internal = await signInternalToken({ sub: 'gw', role: 'admin' }, hub.config.internalSecret);
    expectUnauthenticated(await withAuthorization(`Bearer ${internal}`), /signature is not valid/);
  });
});

describe('the public directory without a token', () => {
  const DIRECTORY = `query($f: InstitutionFilter) { institutions(filter: $f, first: 500) { totalCount edges { node { id name kind district districtName categories } } } }`;

  it('lists only active, listed institutions with their public fields', async () => {
    const result = await withAuthorization(undefined, { query: DIRECTORY, variables: { f: { status: 'SUSPENDED' } } });
    const { institutions } = dataOf(result);
    const expected = await hub.knex
      .institutions('institutions')
      .where({ status: 'ACTIVE', listed: true })
      .count({ n: '*' })
      .first();
    expect(institutions.totalCount).toBe(Number(expected!.n));
    const ids = institutions.edges.map((e: any) => e.node.id);
    const hidden = await hub.knex
      .institutions('institutions')
      .whereNot('status', 'ACTIVE')
      .orWhere('listed', false)
      .pluck('id');
    expect(hidden.length).toBeGreaterThan(0);
    for (const id of hidden) expect(ids).not.toContain(id);
  });

  it('filters the directory by district, category and kind', async () => {
    const { institutions } = dataOf(
      await withAuthorization(undefined, {
        query: DIRECTORY,
        variables: { f: { district: '310104', category: 'LABOUR', kind: 'LABOUR_ARBITRATION' } },
      }),
    );
    expect(institutions.edges.length).toBeGreaterThan(0);
    for (const { node } of institutions.edges)
      expect(node).toMatchObject({
        district: '310104',
        kind: 'LABOUR_ARBITRATION',
        categories: expect.arrayContaining(['LABOUR']),
      });
  });

  it.each([
    ['a non-public field', '{ institutions { edges { node { name status } } } }', /Institution\.status needs a token/],
    [
      'a non-public field in a fragment',
      '{ institutions { edges { node { ...F } } } } fragment F on Institution { name liaison { phone } }',
      /Institution\.liaison needs a token/,
    ],
    [
      'a join into cases',
      '{ institutions { edges { node { name cases { totalCount } } } } }',
      /Institution\.cases needs a token/,
    ],
    ['another query', '{ institution(id: "SU-JUSTICE") { name } }', /Query\.institution needs a token/],
    ['introspection', '{ __schema { types { name } } }', /Query\.__schema needs a token/],
    [
      '_entities',
      '{ _entities(representations: [{ __typename: "Case", id: "x" }]) { __typename } }',
      /needs a token|Cannot query field/,
    ],
  ])('refuses %s', async (_label, query, message) => {
    const result = await withAuthorization(undefined, { query });
    expect(codesOf(result)[0]).toMatch(/UNAUTHENTICATED|GRAPHQL_VALIDATION_FAILED/);
    expect(result.body.errors![0]!.message).toMatch(message);
    expect(result.body.data ?? null).toBeNull();
  });
});
