/**
 * The listing rule (CASE_ROWS in kit/figure-access.ts): case rows only for a principal's own work and its consent
 * grants' scopes, by every route to a row (`cases`, `Institution.cases`, `case(id)`); figures (`totalCount`) for the
 * rest. The operator gets every row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { outsiders, referredCase, type CaseFixture } from './support/privacy.js';

let hub: Hub;
let c: CaseFixture;
let others: Awaited<ReturnType<typeof outsiders>>;
beforeAll(async () => {
  hub = await startHub({ cases: 400 });
  c = await referredCase(hub);
  others = await outsiders(hub, c);
});
afterAll(async () => {
  await hub?.close();
});

type As = { role: string; org?: string; sub?: string };

/** Every case row a principal can page through with `cases`, and the listing's totalCount. */
async function listing(as: As, filter: Record<string, unknown> = {}) {
  const ids: string[] = [];
  let after: string | null = null;
  let totalCount = 0;
  do {
    const page: any = dataOf(
      await hub.query(
        'query($f: CaseFilter, $after: String) { cases(first: 500, after: $after, filter: $f) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }',
        { f: filter, after },
        as,
      ),
    ).cases;
    ids.push(...page.edges.map((e: any) => e.node.id));
    totalCount = page.totalCount;
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return { ids: ids.sort(), totalCount };
}

const idsWhere = async (where: (q: any) => any) =>
  (await where(hub.knex.cases('cases').select('id'))).map((r: { id: string }) => r.id).sort();
const caseById = async (id: string, as: As) =>
  dataOf(await hub.query('query($id: ID!) { case(id: $id) { id } }', { id }, as)).case;

describe('case rows', () => {
  it('go to the operator for every case', async () => {
    const all = await idsWhere((q) => q);
    expect((await listing({ role: 'admin' })).ids).toEqual(all);
  });

  it("go to an analyst only within its grants' scopes, once approved; outside them it gets the figure", async () => {
    const analyst = { role: 'analyst' };
    const none = await listing(analyst);
    expect(none.ids).toEqual([]);
    expect(none.totalCount).toBeGreaterThan(300);
    expect(await caseById(c.id, analyst)).toBeNull();
    const grant = dataOf(
      await hub.query(
        `mutation($scope: GrantScopeInput, $at: DateTime!) { grantDataAccess(grantee: "test-analyst", categories: [CLAIMS],
      purpose: "review of one institution", scope: $scope, expiresAt: $at) { id status } }`,
        { scope: { institutionId: c.institutionId }, at: new Date(Date.now() + 3_600_000).toISOString() },
        { role: 'steward' },
      ),
    ).grantDataAccess;
    // An institution's cases are wider than one case: until a second steward approves, the grant opens no row.
    expect(grant.status).toBe('AWAITING_APPROVAL');
    expect((await listing(analyst)).ids).toEqual([]);
    expect(await caseById(c.id, analyst)).toBeNull();
    const approved = dataOf(
      await hub.query(
        'mutation($id: ID!) { approveDataGrant(id: $id) { status } }',
        { id: grant.id },
        { role: 'steward', sub: 'second-steward' },
      ),
    );
    expect(approved.approveDataGrant.status).toBe('IN_FORCE');
    const granted = await listing(analyst);
    expect(granted.ids).toEqual(await idsWhere((q) => q.where('institution_id', c.institutionId)));
    expect(granted.totalCount).toBe(none.totalCount);
    expect((await caseById(c.id, analyst)).id).toBe(c.id);
    const elsewhere = await hub.knex.cases('cases').whereNot('institution_id', c.institutionId).first();
    expect(await caseById(elsewhere.id, analyst)).toBeNull();
    dataOf(
      await hub.query('mutation($id: ID!) { revokeDataAccess(id: $id) { id } }', { id: grant.id }, { role: 'steward' }),
    );
    expect((await listing(analyst)).ids).toEqual([]);
  });

  it('go to an intake desk for the cases it received, and to no other desk', async () => {
    const desk = (await hub.knex.cases('cases').where('id', c.id).first()).submitted_by as string;
    const received = await listing({ role: 'intake', sub: desk });
    expect(received.ids.length).toBeGreaterThan(0);
    expect(received.ids).toEqual(await idsWhere((q) => q.where('submitted_by', desk)));
    expect((await caseById(c.id, { role: 'intake', sub: desk })).id).toBe(c.id);
    expect(await caseById(c.id, { role: 'intake', sub: 'another-desk' })).toBeNull();
  });

  it('go to an institution for the cases assigned to it, by the list, its entity and a lookup', async () => {
    const own = { role: 'institution', org: c.institutionId };
    const assigned = await idsWhere((q) => q.where('institution_id', c.institutionId));
    expect((await listing(own)).ids).toEqual(assigned);
    const entity = dataOf(
      await hub.query(
        'query($i: ID!, $o: ID!) { mine: institution(id: $i) { cases(first: 500) { edges { node { id } } } } other: institution(id: $o) { cases(first: 500) { totalCount edges { node { id } } } } }',
        { i: c.institutionId, o: others.institution },
        own,
      ),
    );
    expect(entity.mine.cases.edges.map((e: any) => e.node.id).sort()).toEqual(assigned);
    expect(entity.other.cases.edges).toEqual([]);
    const [othersCases] = await hub.knex.cases('cases').where('institution_id', others.institution).count({ n: '*' });
    // The other institution's total is a figure: perturbed, so 0 or at least 5, within 3 of the truth.
    const figure = entity.other.cases.totalCount;
    expect(figure === 0 || figure >= 5).toBe(true);
    expect(Math.abs(figure - Number(othersCases!.n))).toBeLessThanOrEqual(3);
    expect(await caseById(c.id, { role: 'institution', org: others.institution })).toBeNull();
  });

  it('go to a supervising unit for the cases it dispatched', async () => {
    expect((await listing({ role: 'supervisor', org: c.supervisingUnitId })).ids).toEqual(
      await idsWhere((q) => q.where('supervising_unit_id', c.supervisingUnitId)),
    );
    expect(await caseById(c.id, { role: 'supervisor', org: others.unit })).toBeNull();
  });

  it('go to a court for a case referred to it, looked up or reached through its referrals, and for no other', async () => {
    const court = { role: 'court', org: c.referredTo };
    expect((await caseById(c.id, court)).id).toBe(c.id);
    const through = dataOf(
      await hub.query(
        'query($id: ID!) { institution(id: $id) { referralsReceived(first: 50) { edges { node { case { id } } } } } }',
        { id: c.referredTo },
        court,
      ),
    );
    expect(through.institution.referralsReceived.edges.map((e: any) => e.node.case?.id)).toContain(c.id);
    expect(await caseById(c.id, { role: 'court', org: others.court })).toBeNull();
    expect((await listing(court)).ids).toEqual([]);
  });
});
