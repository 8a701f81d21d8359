/**
 * The gateway serves JSON POSTs on its lean path (documents and query plans cached per query text) and everything
 * else (GET, introspection, variables that do not coerce) through Apollo Server's full pipeline. Both must answer exactly as before, and a
 * cached document or plan must never carry one principal's result to another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 80, institutions: 60 });
});
afterAll(async () => {
  await hub?.close();
});

const DIRECTORY = '{ institutions(first: 500) { edges { node { id name } } } }';
const CONTACT =
  'mutation Contact($id: ID!, $v: Int!, $at: DateTime!) { recordRespondentContact(id: $id, contactedAt: $at, willing: true, expectedVersion: $v) { id version } }';
const idsOf = (result: Awaited<ReturnType<Hub['query']>>) =>
  dataOf(result)
    .institutions.edges.map((e: { node: { id: string } }) => e.node.id)
    .sort();

describe('one document, many principals', () => {
  it('answers each caller for itself: the anonymous directory is not the admin list, before or after', async () => {
    const adminFirst = idsOf(await hub.query(DIRECTORY));
    const anonymous = idsOf(await hub.query(DIRECTORY, {}, null));
    const adminAgain = idsOf(await hub.query(DIRECTORY));
    const listed = (await hub.knex.institutions('institutions').where({ status: 'ACTIVE', listed: true }).select('id'))
      .map((r) => r.id)
      .sort();
    expect(anonymous).toEqual(listed);
    expect(adminFirst.length).toBeGreaterThan(anonymous.length);
    expect(adminAgain).toEqual(adminFirst);
  });

  it('runs the same mutation document for two institutions with their own rights', async () => {
    const row = await hub.knex.cases('cases').where('status', 'ACCEPTED').first();
    const other = await hub.knex
      .cases('cases')
      .whereNot('institution_id', row.institution_id)
      .whereNotNull('institution_id')
      .first();
    const variables = { id: row.id, v: Number(row.version), at: new Date(Date.now() - 60_000).toISOString() };
    const stranger = await hub.query(CONTACT, variables, { role: 'institution', org: other.institution_id });
    expect(codesOf(stranger)).toEqual(['NOT_FOUND']);
    const assigned = await hub.query(CONTACT, variables, { role: 'institution', org: row.institution_id });
    expect(dataOf(assigned).recordRespondentContact).toEqual({ id: row.id, version: Number(row.version) + 1 });
    const strangerAgain = await hub.query(
      CONTACT,
      { ...variables, v: Number(row.version) + 1 },
      { role: 'institution', org: other.institution_id },
    );
    expect(codesOf(strangerAgain)).toEqual(['NOT_FOUND']);
  });
});

describe('answers as Apollo Server does', () => {
  it('refuses an invalid document with GRAPHQL_VALIDATION_FAILED, every time', async () => {
    for (let i = 0; i < 2; i++) {
      const result = await hub.query('{ cases(first: 1) { edges { node { noSuchField } } } }');
      expect(result.status).toBe(400);
      expect(codesOf(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    }
  });

  it('refuses variables of the wrong type with BAD_USER_INPUT and changes nothing', async () => {
    const row = await hub.knex.cases('cases').where('status', 'ACCEPTED').offset(1).first();
    const result = await hub.query(
      CONTACT,
      { id: row.id, v: 'one', at: new Date().toISOString() },
      { role: 'institution', org: row.institution_id },
    );
    expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
    expect(Number((await hub.knex.cases('cases').where('id', row.id).first()).version)).toBe(Number(row.version));
  });

  it('picks the named operation of a document with several', async () => {
    const query = 'query A { cases(first: 1) { totalCount } } query B { institutions(first: 1) { totalCount } }';
    const result = await hub.post(
      hub.urls.gateway,
      { query, operationName: 'B' },
      { authorization: `Bearer ${await hub.token('admin')}` },
    );
    expect(Object.keys(dataOf(result))).toEqual(['institutions']);
    const other = await hub.post(
      hub.urls.gateway,
      { query, operationName: 'A' },
      { authorization: `Bearer ${await hub.token('admin')}` },
    );
    expect(Object.keys(dataOf(other))).toEqual(['cases']);
  });

  it("refuses a document of several operations without a name, or with an unknown one, as the client's error (400)", async () => {
    const query = 'query A { cases(first: 1) { totalCount } } query B { institutions(first: 1) { totalCount } }';
    const authorization = `Bearer ${await hub.token('admin')}`;
    const unnamed = await hub.post(hub.urls.gateway, { query }, { authorization });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.errors?.[0]?.message).toMatch(/operation name/i);
    const misnamed = await hub.post(hub.urls.gateway, { query, operationName: 'C' }, { authorization });
    expect(misnamed.status).toBe(400);
    expect(misnamed.body.errors?.[0]?.message).toBe(
      'The document holds no operation of the name given in operationName.',
    );
  });

  it('keeps the request id, negotiates the content type and forbids caching', async () => {
    const headers = {
      authorization: `Bearer ${await hub.token('admin')}`,
      'x-request-id': 'paths-test-1',
      accept: 'application/graphql-response+json, application/json',
    };
    const result = await hub.post(hub.urls.gateway, { query: '{ cases(first: 1) { totalCount } }' }, headers);
    expect(result.status).toBe(200);
    expect(result.headers.get('x-request-id')).toBe('paths-test-1');
    expect(result.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
    expect(result.headers.get('cache-control')).toBe('no-store');
    const plain = await hub.post(
      hub.urls.gateway,
      { query: '{ cases(first: 1) { totalCount } }' },
      { authorization: headers.authorization },
    );
    expect(plain.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(plain.body).toEqual(result.body);
  });

  it('still serves introspection outside production', async () => {
    expect(dataOf(await hub.query('{ __schema { queryType { name } } }')).__schema.queryType.name).toBe('Query');
  });
});
