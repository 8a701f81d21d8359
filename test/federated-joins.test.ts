import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 400 });
});
afterAll(async () => {
  await hub?.close();
});

describe('entity joins across the three subgraphs', () => {
  it('joins cases with their institution, supervising unit and referrals in one query', async () => {
    const data = dataOf(
      await hub.query(`{
      cases(first: 100, filter: { status: RESOLVED }) {
        edges { node { id status institution { id name kind supervisingUnit { id } } supervisingUnit { id kind } referrals { id case { id } target { id kind } } } }
      }
    }`),
    );
    const nodes = data.cases.edges.map((e: any) => e.node);
    expect(nodes.length).toBeGreaterThan(10);
    for (const c of nodes) {
      expect(c.status).toBe('RESOLVED');
      expect(c.institution.name).toEqual(expect.any(String));
      expect(c.supervisingUnit.kind).toBe('SUPERVISING_UNIT');
      expect(c.institution.supervisingUnit.id).toBe(c.supervisingUnit.id);
      for (const r of c.referrals) expect(r.case.id).toBe(c.id);
    }
    const referred = nodes.filter((c: any) => c.referrals.length > 0);
    expect(referred.length).toBeGreaterThan(0);
    for (const c of referred)
      for (const r of c.referrals)
        expect(['COURT', 'LABOUR_ARBITRATION', 'COMMERCIAL_ARBITRATION']).toContain(r.target.kind);
  });

  it('agrees with the stores: a case joined through the gateway is the row each office holds', async () => {
    const row = await hub.knex.referrals('referrals').first();
    const data = dataOf(
      await hub.query(
        `query($id: ID!) { referral(id: $id) { id kind case { id institution { id } } target { id name } requestedBy { id } } }`,
        { id: row.id },
      ),
    );
    const caseRow = await hub.knex.cases('cases').where('id', row.case_id).first();
    const target = await hub.knex.institutions('institutions').where('id', row.target_id).first();
    expect(data.referral).toEqual({
      id: row.id,
      kind: row.kind,
      case: { id: row.case_id, institution: { id: caseRow.institution_id } },
      target: { id: row.target_id, name: target.name },
      requestedBy: { id: row.requested_by },
    });
  });

  it("lists an institution's cases (contributed by the cases subgraph) and its received referrals", async () => {
    const [{ institution_id: institutionId }]: any[] = await hub.knex
      .cases('cases')
      .whereNotNull('institution_id')
      .groupBy('institution_id')
      .select('institution_id')
      .count({ n: '*' })
      .orderBy('n', 'desc')
      .limit(1);
    const expected = await hub.knex.cases('cases').where('institution_id', institutionId).count({ n: '*' }).first();
    const data = dataOf(
      await hub.query(
        `query($id: ID!) { institution(id: $id) { id name cases(first: 500) { totalCount edges { node { id institution { id } } } } } }`,
        { id: institutionId },
      ),
    );
    expect(data.institution.cases.totalCount).toBe(Number(expected!.n));
    expect(data.institution.cases.edges).toHaveLength(Number(expected!.n));
    for (const edge of data.institution.cases.edges) expect(edge.node.institution.id).toBe(institutionId);

    const court: any = await hub.knex
      .referrals('referrals')
      .groupBy('target_id')
      .select('target_id')
      .count({ n: '*' })
      .orderBy('n', 'desc')
      .first();
    const received = dataOf(
      await hub.query(
        `query($id: ID!) { institution(id: $id) { kind referralsReceived(first: 500) { totalCount edges { node { target { id } case { id status } } } } } }`,
        { id: court!.target_id },
      ),
    );
    expect(received.institution.referralsReceived.totalCount).toBe(Number(court!.n));
    for (const edge of received.institution.referralsReceived.edges) {
      expect(edge.node.target.id).toBe(court!.target_id);
      expect(['RESOLVED', 'UNRESOLVED']).toContain(edge.node.case.status);
    }
  });

  it('navigates a supervising unit to the institutions it manages and back', async () => {
    const data = dataOf(
      await hub.query(
        `{ institution(id: "SU-JUSTICE") { kind managedInstitutions(first: 500) { totalCount edges { node { id kind supervisingUnit { id } } } } } }`,
      ),
    );
    const managed = data.institution.managedInstitutions;
    const expected = await hub.knex
      .institutions('institutions')
      .where('supervising_unit_id', 'SU-JUSTICE')
      .count({ n: '*' })
      .first();
    expect(managed.totalCount).toBe(Number(expected!.n));
    expect(managed.edges.length).toBe(managed.totalCount);
    for (const edge of managed.edges)
      expect(edge.node).toMatchObject({ kind: 'PEOPLES_MEDIATION', supervisingUnit: { id: 'SU-JUSTICE' } });
  });

  it("reports whether a case's agreement was confirmed by a court or commission", async () => {
    const confirmed = await hub.knex
      .referrals('referrals')
      .where({ kind: 'JUDICIAL_CONFIRMATION', result: 'CONFIRMED' })
      .first();
    const other = await hub.knex.cases('cases').where('status', 'SUBMITTED').first();
    const data = dataOf(
      await hub.query(
        `query($a: ID!, $b: ID!) { a: case(id: $a) { outcomeConfirmed } b: case(id: $b) { outcomeConfirmed referrals { id } } }`,
        { a: confirmed.case_id, b: other.id },
      ),
    );
    expect(data).toEqual({ a: { outcomeConfirmed: true }, b: { outcomeConfirmed: false, referrals: [] } });
  });

  it('filters cases by status, category, institution, district and submission period', async () => {
    const sample = await hub.knex.cases('cases').whereNotNull('institution_id').first();
    const filter = {
      status: sample.status,
      category: sample.category,
      institutionId: sample.institution_id,
      district: sample.district,
      submittedFrom: new Date(Date.parse(sample.submitted_at) - 1000).toISOString(),
      submittedTo: new Date(Date.parse(sample.submitted_at) + 1000).toISOString(),
    };
    const data = dataOf(
      await hub.query(`query($f: CaseFilter) { cases(filter: $f) { totalCount edges { node { id } } } }`, {
        f: filter,
      }),
    );
    expect(data.cases.edges.map((e: any) => e.node.id)).toContain(sample.id);
    const expected = await hub.knex
      .cases('cases')
      .where({
        status: sample.status,
        category: sample.category,
        institution_id: sample.institution_id,
        district: sample.district,
      })
      .where('submitted_at', '>=', filter.submittedFrom)
      .where('submitted_at', '<', filter.submittedTo)
      .count({ n: '*' })
      .first();
    expect(data.cases.totalCount).toBe(Number(expected!.n));
  });

  it('names the field when a filter is bad', async () => {
    const result = await hub.query(`{ cases(filter: { district: "999999" }) { totalCount } }`);
    expect(result.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('filter.district'),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});
