/**
 * The gateway speaks GraphQL over HTTP as the spec's audit suite (graphql-http's `serverAudits`) checks it: every
 * MUST and SHOULD holds. A client asking for `application/json` is answered 200 for a document that does not parse
 * or validate, or variables that do not coerce (it reads the errors from the body); one asking for
 * `application/graphql-response+json` gets 400. A GET carries its variables URL-encoded; like every request a
 * browser could send without a preflight, it needs a header that forces one (CSRF prevention).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverAudits } from 'graphql-http';
import { startHub, type Hub } from './support/hub.js';

let hub: Hub;
let token: string;
beforeAll(async () => {
  hub = await startHub({ cases: 10 });
  token = await hub.token('admin');
});
afterAll(async () => {
  await hub?.close();
});

/** Runs the audit suite with these headers on every request; answers each audit that did not pass, by id. */
async function audit(headers: Record<string, string>): Promise<Record<string, { name: string; status: string }>> {
  const fetchFn = (input: RequestInfo | URL, init: RequestInit = {}) =>
    fetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } });
  const failures: Record<string, { name: string; status: string }> = {};
  for (const check of serverAudits({ url: hub.urls.gateway, fetchFn })) {
    const result = await check.fn();
    if (result.status !== 'ok') failures[check.id] = { name: check.name, status: result.status };
  }
  return failures;
}

describe('GraphQL over HTTP', () => {
  it('passes every audit, MAY included, for a client that sends the preflight header', async () => {
    expect(await audit({ authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' })).toEqual({});
  });

  it("passes every MUST and SHOULD for a client that does not; its GETs are refused as a browser form's would be", async () => {
    expect(await audit({ authorization: `Bearer ${token}` })).toEqual({
      '5A70': { name: 'MAY accept application/x-www-form-urlencoded formatted GET requests', status: 'notice' },
      D6D5: {
        name: 'MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/graphql-response+json',
        status: 'notice',
      },
      '6A70': {
        name: 'MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/json',
        status: 'notice',
      },
    });
  });

  it.each([
    ['application/json', 200, 'application/json; charset=utf-8'],
    ['application/graphql-response+json', 400, 'application/graphql-response+json; charset=utf-8'],
  ])('answers a document that does not validate, asked for %s, with %i', async (accept, status, contentType) => {
    const response = await fetch(hub.urls.gateway, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ noSuchField }' }),
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe(contentType);
    const body = await response.json();
    expect(body.data).toBeUndefined();
    expect(body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual([
      'GRAPHQL_VALIDATION_FAILED',
    ]);
  });

  it('serves a GET query with URL-encoded variables', async () => {
    const url = new URL(hub.urls.gateway);
    url.searchParams.set('query', 'query FirstCases($first: Int) { cases(first: $first) { edges { node { id } } } }');
    url.searchParams.set('variables', JSON.stringify({ first: 2 }));
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.errors).toBeUndefined();
    expect(body.data.cases.edges).toHaveLength(2);
  });
});
