import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 300 });
});
afterAll(async () => {
  await hub?.close();
});

/** SQL statements each store ran for one query. */
async function statements(query: string, variables: Record<string, unknown>) {
  await hub.query(query, variables); // warm: nothing below should depend on a first-request effect
  for (const c of Object.values(hub.counters)) c.reset();
  dataOf(await hub.query(query, variables));
  return {
    cases: hub.counters.cases.count(),
    institutions: hub.counters.institutions.count(),
    referrals: hub.counters.referrals.count(),
  };
}

describe('batched joins', () => {
  const JOURNEY = `query($n: Int) { cases(first: $n) { totalCount edges { node { id parties { role } timeline { action }
    institution { name categories supervisingUnit { name } } supervisingUnit { name }
    referrals { kind target { name kind } requestedBy { name } case { id status } } outcomeConfirmed } } } }`;

  // Both sizes include referred cases, so the same joins run (a join with nothing to join runs no statement).
  it('costs the same number of SQL statements for 50 cases as for 250', async () => {
    const small = await statements(JOURNEY, { n: 50 });
    const large = await statements(JOURNEY, { n: 250 });
    expect(large).toEqual(small);
    expect(large.cases + large.institutions + large.referrals).toBeLessThanOrEqual(12);
  });

  it("batches list-to-entity joins: an institution list with each one's cases and referrals", async () => {
    const QUERY = `query($n: Int) { institutions(first: $n, filter: { kind: PEOPLES_MEDIATION }) { edges { node { id managedInstitutions(first: 3) { totalCount edges { node { id } } }
      cases(first: 3) { totalCount edges { node { id parties { name } } } } referralsReceived(first: 3) { totalCount edges { node { id case { status } } } } } } } }`;
    const small = await statements(QUERY, { n: 3 });
    const large = await statements(QUERY, { n: 40 });
    expect(large).toEqual(small);
  });

  it('resolves the _entities of many references with one statement', async () => {
    // 40 referrals point at 40 cases and a handful of courts: each subgraph answers its _entities in one statement.
    const counts = await statements(
      `{ referrals(first: 40) { edges { node { case { id status district } target { name } } } } }`,
      {},
    );
    expect(counts).toEqual({ referrals: 1, cases: 1, institutions: 1 });
  });
});
