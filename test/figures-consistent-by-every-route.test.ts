/**
 * The same cases get the same figure by every route a principal without clearance can take: a `caseStats` total, a
 * grouped row, `Institution.caseStats`, `cases { totalCount }` and `Institution.cases { totalCount }`, asked again,
 * and by every role whose figures are perturbed. And the figures are perturbed: some differ from the true count,
 * none by more than 3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';

let hub: Hub;
const NOW = new Date('2026-11-02T00:00:00Z');
beforeAll(async () => {
  hub = await startHub({ cases: 3000, institutions: 60, clock: () => NOW });
});
afterAll(async () => {
  await hub?.close();
});

const ANALYST = { role: 'analyst' };
// The period as months (China time) and as the instants that bound it.
const PERIOD = { from: '2025-11', to: '2026-10', since: '2025-10-31T16:00:00.000Z', until: '2026-10-31T16:00:00.000Z' };

/** The busiest institutions of the world, with their true counts in the period. */
async function institutions(limit: number) {
  return (await hub.knex
    .cases('cases')
    .whereNotNull('institution_id')
    .where('submitted_at', '>=', PERIOD.since)
    .where('submitted_at', '<', PERIOD.until)
    .groupBy('institution_id')
    .select('institution_id as id')
    .count({ n: '*' })
    .orderBy('n', 'desc')
    .limit(limit)) as unknown as { id: string; n: number }[];
}

/** One institution's received count in the period, by five routes at once. */
async function routes(id: string, as: { role: string; org?: string } = ANALYST) {
  const data = dataOf(
    await hub.query(
      `query($id: ID!, $from: String!, $to: String!, $since: DateTime!, $until: DateTime!) {
    total: caseStats(filter: { institutionId: $id, from: $from, to: $to }) { received }
    grouped: caseStats(filter: { from: $from, to: $to }, groupBy: [INSTITUTION]) { institution { id } received }
    entity: institution(id: $id) { caseStats(from: $from, to: $to) { received } cases(first: 1, filter: { submittedFrom: $since, submittedTo: $until }) { totalCount } }
    listing: cases(first: 1, filter: { institutionId: $id, submittedFrom: $since, submittedTo: $until }) { totalCount }
  }`,
      { id, ...PERIOD },
      as,
    ),
  );
  return {
    total: data.total[0].received,
    grouped: data.grouped.find((r: any) => r.institution?.id === id)?.received ?? 0,
    entity: data.entity.caseStats.received,
    entityTotalCount: data.entity.cases.totalCount,
    listingTotalCount: data.listing.totalCount,
  };
}

describe('the same cases, the same figure', () => {
  it("by every route to an institution's received count, asked twice", async () => {
    const busiest = await institutions(12);
    let differing = 0;
    for (const { id, n } of busiest) {
      const first = await routes(id);
      const figure = first.total;
      expect(first).toEqual({
        total: figure,
        grouped: figure,
        entity: figure,
        entityTotalCount: figure,
        listingTotalCount: figure,
      });
      expect(await routes(id)).toEqual(first);
      expect(Math.abs(figure - Number(n))).toBeLessThanOrEqual(3);
      if (figure !== Number(n)) differing++;
    }
    expect(differing).toBeGreaterThan(0);
  });

  it("for a status and a category: the row's figure, the grouped row and the listing's total", async () => {
    const { id } = (await institutions(1))[0]!;
    const data = dataOf(
      await hub.query(
        `query($id: ID!) {
      row: caseStats(filter: { institutionId: $id }) { resolved }
      byStatus: caseStats(filter: { institutionId: $id }, groupBy: [STATUS]) { status received }
      listing: cases(filter: { institutionId: $id, status: RESOLVED }) { totalCount }
      labour: caseStats(filter: { institutionId: $id, category: LABOUR }) { received }
      labourListing: cases(filter: { institutionId: $id, category: LABOUR }) { totalCount }
    }`,
        { id },
        ANALYST,
      ),
    );
    const resolved = data.row[0].resolved;
    expect(resolved).toBeGreaterThan(0);
    expect(data.byStatus.find((r: any) => r.status === 'RESOLVED').received).toBe(resolved);
    expect(data.listing.totalCount).toBe(resolved);
    expect(data.labourListing.totalCount).toBe(data.labour[0].received);
  });

  it('for every role whose figures are perturbed', async () => {
    const busiest = await institutions(6);
    for (const { id } of busiest) {
      const seen = await routes(id);
      for (const role of [
        { role: 'intake' },
        { role: 'steward' },
        { role: 'court', org: 'IN-00001' },
        { role: 'arbitration', org: 'IN-00002' },
      ]) {
        expect([role.role, await routes(id, role)]).toEqual([role.role, seen]);
      }
    }
  });

  it("for an institution's mixed figure: its own cases exact plus the others' perturbed, the same by both routes", async () => {
    const { id } = (await institutions(1))[0]!;
    const { district } = await hub.knex.cases('cases').where('institution_id', id).first();
    const own = { role: 'institution', org: id };
    const data = dataOf(
      await hub.query(
        `query($d: String!) { caseStats(filter: { district: $d }) { received perturbed } cases(filter: { district: $d }) { totalCount } }`,
        { d: district },
        own,
      ),
    );
    expect(data.caseStats[0].perturbed).toBe(true);
    expect(data.cases.totalCount).toBe(data.caseStats[0].received);
    const mine = dataOf(
      await hub.query(
        `query($id: ID!) { caseStats(filter: { institutionId: $id }) { received perturbed } }`,
        { id },
        own,
      ),
    ).caseStats[0];
    const [trueOwn] = await hub.knex.cases('cases').where('institution_id', id).count({ n: '*' });
    expect(mine).toEqual({ received: Number(trueOwn!.n), perturbed: false });
  });
});
