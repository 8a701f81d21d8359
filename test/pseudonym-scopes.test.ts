/**
 * Pseudonyms link a party only within what the consumer may see together: its own cases, or one grant's scope.
 * The same applicant in three cases (two in 310104, one in 310105) is followed within a scope, never across its edge,
 * and two consumers' pseudonyms never match. A pseudonym appears only on a case the consumer gets as a row
 * (CASE_ROWS in kit/figure-access.ts): an institution or an analyst gets no row at all beyond its own cases and its
 * grants, so the edge of a grant is shown where rows go on past it: the operator (every case, no party data without
 * a grant) and the intake desk (the cases it received).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { activeInstitution, MUTATIONS, validSubmission } from './support/cases.js';

let hub: Hub;
const intake = { role: 'intake' }; // sub test-intake: it receives the three cases
const admin = { role: 'admin' }; // sub test-admin
const analyst = { role: 'analyst' }; // sub test-analyst
const otherAnalyst = { role: 'analyst', sub: 'other-analyst' };
const applicant = {
  role: 'APPLICANT',
  kind: 'PERSON',
  name: '岑晓梅',
  idNumber: '11010519491231002X',
  phone: '13912345678',
};
/** Two cases of the applicant in 310104 and one in 310105. */
let ids: { first: string; second: string; elsewhere: string };
let institution: { role: string; org: string };
let supervisor: { role: string; org: string };

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
  supervisor = { role: 'supervisor', org: target.unit };
  for (const id of [ids.first, ids.second])
    dataOf(await hub.query(MUTATIONS.dispatch, { id, to: target.id, v: 1 }, supervisor));
});
afterAll(async () => {
  await hub?.close();
});

type Seen = { idNumber: string | null; pseudonym: string } | null;

/** The applicant's ID number and pseudonym in each of the three cases as `as` sees them; null where it gets no row. */
async function seen(as: {
  role: string;
  org?: string;
  sub?: string;
}): Promise<{ first: Seen; second: Seen; elsewhere: Seen }> {
  const read = async (id: string): Promise<Seen> => {
    const row = dataOf(
      await hub.query('query($id: ID!) { case(id: $id) { parties { role idNumber pseudonym } } }', { id }, as),
    ).case;
    return row ? row.parties.find((p: any) => p.role === 'APPLICANT') : null;
  };
  return { first: await read(ids.first), second: await read(ids.second), elsewhere: await read(ids.elsewhere) };
}

/** The ID numbers `seen` found in clear, in the order first, second, elsewhere. */
const numbersIn = (view: Awaited<ReturnType<typeof seen>>) => [
  view.first?.idNumber,
  view.second?.idNumber,
  view.elsewhere?.idNumber,
];

async function grantInForce(grantee: string, categories: string[], scope: Record<string, string>) {
  const GRANT = `mutation($grantee: String!, $categories: [PiiCategory!]!, $scope: GrantScopeInput, $expiresAt: DateTime!) {
    grantDataAccess(grantee: $grantee, categories: $categories, purpose: "repeat applicants", scope: $scope, expiresAt: $expiresAt) { id status } }`;
  const granted = dataOf(
    await hub.query(GRANT, { grantee, categories, scope, expiresAt: later() }, { role: 'steward' }),
  ).grantDataAccess;
  // A district is wider than one case: the grant opens nothing until a second steward approves it.
  expect(granted.status).toBe('AWAITING_APPROVAL');
  const approved = dataOf(
    await hub.query(
      'mutation($id: ID!) { approveDataGrant(id: $id) { status } }',
      { id: granted.id },
      { role: 'steward', sub: 'second-steward' },
    ),
  );
  expect(approved.approveDataGrant.status).toBe('IN_FORCE');
  return granted.id as string;
}

const revoke = async (...grants: string[]) => {
  for (const id of grants)
    dataOf(await hub.query('mutation($id: ID!) { revokeDataAccess(id: $id) { id } }', { id }, { role: 'steward' }));
};

describe('pseudonym scopes', () => {
  it("follow a party across the institution's own cases, and give it no row of a case it does not handle", async () => {
    const view = await seen(institution);
    expect(view.first?.idNumber).toBe(applicant.idNumber);
    expect(view.second?.pseudonym).toBe(view.first?.pseudonym);
    // Not even a pseudonym to link: the case it does not handle is no row of it.
    expect(view.elsewhere).toBeNull();
  });

  it("let a grantee link within its grant's scope, where it sees the ID number, and give it no row beyond the edge", async () => {
    const grant = await grantInForce('test-analyst', ['ID_NUMBER'], { district: '310104' });
    const view = await seen(analyst);
    expect([view.first?.idNumber, view.second?.idNumber]).toEqual([applicant.idNumber, applicant.idNumber]);
    expect(view.second?.pseudonym).toBe(view.first?.pseudonym);
    expect(view.elsewhere).toBeNull();

    // A second grant is a second scope: the 310105 case becomes a row, under that scope's pseudonym.
    const second = await grantInForce('test-analyst', ['NAME'], { district: '310105' });
    const widened = await seen(analyst);
    expect(widened.first?.pseudonym).toBe(view.first?.pseudonym);
    expect(widened.elsewhere?.idNumber).toBeNull();
    expect(widened.elsewhere?.pseudonym).toMatch(/^[\w-]{32}$/);
    expect(widened.elsewhere?.pseudonym).not.toBe(widened.first?.pseudonym);
    await revoke(grant, second);
  });

  it("keep the operator, who gets every row, from linking across its grant's edge", async () => {
    const before = await seen(admin);
    expect(numbersIn(before)).toEqual([null, null, null]);
    expect(before.elsewhere?.pseudonym).toBe(before.first?.pseudonym);

    const grant = await grantInForce('test-admin', ['ID_NUMBER'], { district: '310104' });
    const view = await seen(admin);
    expect(numbersIn(view)).toEqual([applicant.idNumber, applicant.idNumber, null]);
    expect(view.second?.pseudonym).toBe(view.first?.pseudonym);
    // The attack of issue 21: the pseudonym seen beside the number in 310104 does not name the party in 310105.
    expect(view.elsewhere?.pseudonym).not.toBe(view.first?.pseudonym);
    // The grant's cases moved to a scope of their own; the rest kept theirs.
    expect(view.first?.pseudonym).not.toBe(before.first?.pseudonym);
    expect(view.elsewhere?.pseudonym).toBe(before.elsewhere?.pseudonym);

    // A second grant takes the 310105 case out of the rest into a third scope.
    const second = await grantInForce('test-admin', ['NAME'], { district: '310105' });
    const widened = await seen(admin);
    expect(widened.first?.pseudonym).toBe(view.first?.pseudonym);
    expect(widened.elsewhere?.pseudonym).not.toBe(widened.first?.pseudonym);
    expect(widened.elsewhere?.pseudonym).not.toBe(before.elsewhere?.pseudonym);
    await revoke(grant, second);
  });

  it('count a repeat applicant where the consumer gets rows but no party data, in a scope of its own', async () => {
    const desk = await seen(intake);
    expect(numbersIn(desk)).toEqual([null, null, null]);
    expect(desk.second?.pseudonym).toBe(desk.first?.pseudonym);
    expect(desk.elsewhere?.pseudonym).toBe(desk.first?.pseudonym);
    // An analyst without a grant has no row to count on: it gets figures only.
    expect(await seen(otherAnalyst)).toEqual({ first: null, second: null, elsewhere: null });
  });

  it('never match between two consumers', async () => {
    const views = await Promise.all([seen(admin), seen(intake), seen(institution), seen(supervisor)]);
    // All four get the 310104 cases as rows; the operator and the desk also the 310105 one.
    expect(views.map((v) => [v.first !== null, v.second !== null, v.elsewhere !== null])).toEqual([
      [true, true, true],
      [true, true, true],
      [true, true, false],
      [true, true, false],
    ]);
    for (const [i, x] of views.entries()) {
      for (const y of views.slice(i + 1)) {
        for (const key of ['first', 'second', 'elsewhere'] as const)
          if (x[key] && y[key]) expect(x[key]!.pseudonym).not.toBe(y[key]!.pseudonym);
      }
    }
    expect(views.flatMap((v) => [v.first!.pseudonym, v.second!.pseudonym]).every((p) => /^[\w-]{32}$/.test(p))).toBe(
      true,
    );
  });

  it("give the operator no pseudonym outside its grant's scope that it saw inside it, over the whole registry", async () => {
    const grant = await grantInForce('test-admin', ['ID_NUMBER'], { district: '310104' });
    const LIST = '{ cases(first: 100) { edges { node { id district parties { idNumber pseudonym } } } } }';
    const nodes = dataOf(await hub.query(LIST, {}, admin)).cases.edges.map((e: any) => e.node);
    const inside = new Set(
      nodes.filter((n: any) => n.district === '310104').flatMap((n: any) => n.parties.map((p: any) => p.pseudonym)),
    );
    const outside = nodes
      .filter((n: any) => n.district !== '310104')
      .flatMap((n: any) => n.parties.map((p: any) => p.pseudonym));
    expect(inside.size).toBeGreaterThan(0);
    // The applicant is on both sides of the edge: without scopes its pseudonym would be on both.
    expect(nodes.filter((n: any) => n.id === ids.elsewhere).length).toBe(1);
    expect(outside.filter((p: string) => inside.has(p))).toEqual([]);
    await revoke(grant);

    // A grantee lists only its grant's scope: outside it there is no row, hence no pseudonym, to compare.
    const analystGrant = await grantInForce('test-analyst', ['ID_NUMBER'], { district: '310104' });
    const listed = dataOf(await hub.query(LIST, {}, analyst)).cases.edges.map((e: any) => e.node);
    expect(listed.map((n: any) => n.id)).toEqual(expect.arrayContaining([ids.first, ids.second]));
    expect(listed.filter((n: any) => n.district !== '310104')).toEqual([]);
    await revoke(analystGrant);
  });
});
