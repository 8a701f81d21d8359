/**
 * Pseudonyms link a party only within what the consumer may see together: its own cases, or one grant's scope.
 * The same applicant in three cases (two in 310104, one in 310105) is followed within a scope, never across its edge,
 * and two consumers' pseudonyms never match.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { activeInstitution, MUTATIONS, validSubmission } from './support/cases.js';

let hub: Hub;
const intake = { role: 'intake' };
const analyst = { role: 'analyst' }; // sub test-analyst
const otherAnalyst = { role: 'analyst', sub: 'other-analyst' };
const applicant = { role: 'APPLICANT', kind: 'PERSON', name: '岑晓梅', idNumber: '11010519491231002X', phone: '13912345678' };
/** Two cases of the applicant in 310104 and one in 310105. */
let ids: { first: string; second: string; elsewhere: string };
let institution: { role: string; org: string };

const later = () => new Date(Date.now() + 3_600_000).toISOString();

beforeAll(async () => {
  hub = await startHub({ cases: 40 });
  const submit = async (district: string) => {
    const base = validSubmission({ district });
    const input = { ...base, parties: [applicant, base.parties[1]] };
    return dataOf(await hub.query(MUTATIONS.submit, { input }, intake)).submitCase.id as string;
  };
  ids = { first: await submit('310104'), second: await submit('310104'), elsewhere: await submit('310105') };
  // The two 310104 cases go to one institution: they are its own cases.
  const target = await activeInstitution(hub);
  institution = { role: 'institution', org: target.id };
  for (const id of [ids.first, ids.second]) dataOf(await hub.query(MUTATIONS.dispatch, { id, to: target.id, v: 1 }, { role: 'supervisor', org: target.unit }));
});
afterAll(async () => { await hub?.close(); });

/** The applicant's pseudonym and ID number in each of the three cases, as `as` sees them. */
async function seen(as: { role: string; org?: string; sub?: string }) {
  const read = async (id: string) => {
    const parties = dataOf(await hub.query('query($id: ID!) { case(id: $id) { parties { role idNumber pseudonym } } }', { id }, as)).case.parties;
    return parties.find((p: any) => p.role === 'APPLICANT') as { idNumber: string | null; pseudonym: string };
  };
  return { first: await read(ids.first), second: await read(ids.second), elsewhere: await read(ids.elsewhere) };
}

async function grantInForce(categories: string[], scope: Record<string, string>) {
  const GRANT = `mutation($categories: [PiiCategory!]!, $scope: GrantScopeInput, $expiresAt: DateTime!) {
    grantDataAccess(grantee: "test-analyst", categories: $categories, purpose: "repeat applicants", scope: $scope, expiresAt: $expiresAt) { id } }`;
  const { id } = dataOf(await hub.query(GRANT, { categories, scope, expiresAt: later() }, { role: 'steward' })).grantDataAccess;
  dataOf(await hub.query('mutation($id: ID!) { approveDataGrant(id: $id) { status } }', { id }, { role: 'steward', sub: 'second-steward' }));
  return id as string;
}

describe('pseudonym scopes', () => {
  it('follow a party across the institution\'s own cases, and not onto a case it does not handle', async () => {
    const view = await seen(institution);
    expect(view.first.idNumber).toBe(applicant.idNumber);
    expect(view.second.pseudonym).toBe(view.first.pseudonym);
    expect(view.elsewhere.idNumber).toBeNull();
    expect(view.elsewhere.pseudonym).not.toBe(view.first.pseudonym);
  });

  it('let a grantee link within its grant\'s scope, where it sees the ID number, and not beyond the edge', async () => {
    const grant = await grantInForce(['ID_NUMBER'], { district: '310104' });
    const view = await seen(analyst);
    expect([view.first.idNumber, view.second.idNumber, view.elsewhere.idNumber]).toEqual([applicant.idNumber, applicant.idNumber, null]);
    expect(view.second.pseudonym).toBe(view.first.pseudonym);
    // The attack of issue 21: the pseudonym seen beside the number in 310104 does not name the party in 310105.
    expect(view.elsewhere.pseudonym).not.toBe(view.first.pseudonym);

    // A second grant is a second scope: the 310105 case gets that scope's pseudonym, still not the first one's.
    const outside = view.elsewhere.pseudonym;
    const second = await grantInForce(['NAME'], { district: '310105' });
    const widened = await seen(analyst);
    expect(widened.first.pseudonym).toBe(view.first.pseudonym);
    expect(widened.elsewhere.pseudonym).not.toBe(widened.first.pseudonym);
    expect(widened.elsewhere.pseudonym).not.toBe(outside);
    for (const id of [grant, second]) dataOf(await hub.query('mutation($id: ID!) { revokeDataAccess(id: $id) { id } }', { id }, { role: 'steward' }));
  });

  it('count a repeat applicant where the consumer sees no party data, in a scope of its own', async () => {
    const view = await seen(otherAnalyst);
    expect([view.first.idNumber, view.second.idNumber, view.elsewhere.idNumber]).toEqual([null, null, null]);
    expect(view.second.pseudonym).toBe(view.first.pseudonym);
    expect(view.elsewhere.pseudonym).toBe(view.first.pseudonym);
  });

  it('never match between two consumers', async () => {
    const [a, b, i] = await Promise.all([seen(analyst), seen(otherAnalyst), seen(institution)]);
    const pseudonyms = [a, b, i].flatMap((v) => [v.first.pseudonym, v.elsewhere.pseudonym]);
    for (const [x, y] of [[a, b], [a, i], [b, i]] as const) {
      for (const key of ['first', 'second', 'elsewhere'] as const) expect(x[key].pseudonym).not.toBe(y[key].pseudonym);
    }
    expect(pseudonyms.every((p) => /^[\w-]{32}$/.test(p))).toBe(true);
  });

  it('give a grantee no pseudonym outside its scope that it saw inside it, over the whole registry', async () => {
    const grant = await grantInForce(['ID_NUMBER'], { district: '310104' });
    const nodes = dataOf(await hub.query('{ cases(first: 100) { edges { node { district parties { idNumber pseudonym } } } } }', {}, analyst)).cases.edges.map((e: any) => e.node);
    const inside = new Set(nodes.filter((n: any) => n.district === '310104').flatMap((n: any) => n.parties.map((p: any) => p.pseudonym)));
    const outside = nodes.filter((n: any) => n.district !== '310104').flatMap((n: any) => n.parties.map((p: any) => p.pseudonym));
    expect(inside.size).toBeGreaterThan(0);
    expect(outside.length).toBeGreaterThan(0);
    expect(outside.filter((p: string) => inside.has(p))).toEqual([]);
    dataOf(await hub.query('mutation($id: ID!) { revokeDataAccess(id: $id) { id } }', { id: grant }, { role: 'steward' }));
  });
});
