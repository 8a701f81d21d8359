/**
 * A steward's consent grant opens exactly the categories and cases it names, from the grantee's next request until
 * it expires or is revoked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { referredCase, type CaseFixture } from './support/privacy.js';

let hub: Hub;
let c: CaseFixture;
const steward = { role: 'steward' };
const analyst = { role: 'analyst' }; // sub test-analyst
const later = () => new Date(Date.now() + 3_600_000).toISOString();

beforeAll(async () => {
  hub = await startHub({ cases: 60 });
  c = await referredCase(hub);
});
afterAll(async () => { await hub?.close(); });

const GRANT = `mutation($grantee: String!, $categories: [PiiCategory!]!, $scope: GrantScopeInput, $expiresAt: DateTime!) {
  grantDataAccess(grantee: $grantee, categories: $categories, purpose: "dispute trend study", scope: $scope, expiresAt: $expiresAt) { id categories expiresAt } }`;

async function grant(categories: string[], scope: Record<string, string> | null = null, grantee = 'test-analyst') {
  return dataOf(await hub.query(GRANT, { grantee, categories, scope, expiresAt: later() }, steward)).grantDataAccess.id as string;
}
async function revoke(id: string) {
  dataOf(await hub.query('mutation($id: ID!) { revokeDataAccess(id: $id) { revokedAt } }', { id }, steward));
}
async function view(as = analyst) {
  return dataOf(await hub.query('query($id: ID!) { case(id: $id) { claims place parties { name idNumber phone } } }', { id: c.id }, as)).case;
}

describe('consent grants', () => {
  it('opens only the granted category, and only from the next request until revoked', async () => {
    // Without a grant the analyst gets no row of the case at all (figures only: privacy/row-scope.ts).
    expect(await view()).toBeNull();
    const id = await grant(['NAME']);
    const opened = await view();
    expect(opened.parties.map((p: any) => p.name)).toEqual(c.truth.parties.map((p) => p.name));
    // A grant for names is not one for ID numbers, contacts or claims.
    expect(opened.parties.every((p: any) => p.idNumber === null && p.phone === null)).toBe(true);
    expect(opened.claims).toBeNull();
    await revoke(id);
    expect(await view()).toBeNull();
  });

  it('lets a granted category be searched, and only within the grant\'s scope', async () => {
    const name = c.truth.parties[0]!.name as string;
    const search = () => hub.query('query($n: String) { cases(filter: { partyName: $n }) { edges { node { id district } } } }', { n: name }, analyst);
    expect(codesOf(await search())).toEqual(['FORBIDDEN']);
    const id = await grant(['NAME'], { district: c.district });
    const found = dataOf(await search()).cases.edges.map((e: any) => e.node);
    expect(found.map((n: any) => n.id)).toContain(c.id);
    expect(found.every((n: any) => n.district === c.district)).toBe(true);
    await revoke(id);
  });

  it('covers only the cases of its scope: a case of another district is no row at all', async () => {
    const other = await hub.knex.cases('cases').whereNot('district', c.district).first();
    const id = await grant(['CLAIMS'], { district: c.district });
    const [inScope, outOfScope] = await Promise.all([c.id, other.id].map(async (caseId) =>
      dataOf(await hub.query('query($id: ID!) { case(id: $id) { claims } }', { id: caseId }, analyst)).case));
    expect(inScope.claims).toBe(c.truth.case.claims);
    expect(outOfScope).toBeNull();
    await revoke(id);
  });

  it('stops at expiry', async () => {
    await hub.knex.cases('consent_grants').insert({
      id: 'GR-expired', grantee: 'test-analyst', categories: 'CLAIMS,NAME', purpose: 'expired study', expires_at: new Date(Date.now() - 1000).toISOString(),
      granted_by: 'test-steward', granted_at: new Date(Date.now() - 86_400_000).toISOString(),
    });
    expect(await view()).toBeNull();
  });

  it('is for its grantee alone', async () => {
    const id = await grant(['NAME'], null, 'someone-else');
    expect(await view()).toBeNull();
    await revoke(id);
  });

  it('is given and revoked by a steward only, with clear errors for bad input', async () => {
    expect(codesOf(await hub.query(GRANT, { grantee: 'test-analyst', categories: ['NAME'], scope: null, expiresAt: later() }, analyst))).toEqual(['FORBIDDEN']);
    const past = await hub.query(GRANT, { grantee: 'test-analyst', categories: ['NAME'], scope: null, expiresAt: '2020-01-01T00:00:00Z' }, steward);
    expect(past.body.errors![0]).toMatchObject({ message: 'expiresAt: must be in the future', extensions: { code: 'BAD_USER_INPUT', field: 'expiresAt' } });
    const district = await hub.query(GRANT, { grantee: 'test-analyst', categories: ['NAME'], scope: { district: '999999' }, expiresAt: later() }, steward);
    expect(district.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'scope.district' });
    const none = await hub.query(GRANT, { grantee: 'test-analyst', categories: [], scope: null, expiresAt: later() }, steward);
    expect(none.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'categories' });
    const id = await grant(['CONTACT']);
    await revoke(id);
    const again = await hub.query('mutation($id: ID!) { revokeDataAccess(id: $id) { id } }', { id }, steward);
    expect(codesOf(again)).toEqual(['INVALID_TRANSITION']);
  });
});
