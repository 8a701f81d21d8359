import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { allInstitutionsQuery, DASHBOARD_QUERY, dashboardVariables } from '../bench/load/dashboard-query.js';
import { DISTRICT_CODES } from '../kit/reference-data.js';

let hub: Hub;
// Statements counted as computed, not as kept from the warm-up call, in the subgraphs or as whole answers at the gateway
// (test/case-statistics-cache.test.ts and test/gateway-kept-answers.test.ts cover those).
beforeAll(async () => {
  hub = await startHub({
    cases: 2000,
    institutions: 400,
    clock: () => new Date('2026-11-02T00:00:00Z'),
    keptReads: false,
    keptAnswers: false,
  });
});
afterAll(async () => {
  await hub?.close();
});

async function statements(query: string, variables: Record<string, unknown>) {
  await hub.query(query, variables);
  for (const c of Object.values(hub.counters)) c.reset();
  const data = dataOf(await hub.query(query, variables));
  return {
    data,
    counts: {
      cases: hub.counters.cases.count(),
      institutions: hub.counters.institutions.count(),
      referrals: hub.counters.referrals.count(),
    },
  };
}

const PERIOD = { from: '2025-11', to: '2026-10' };

describe('statistics statements', () => {
  it('cost the same for a dashboard of 5 institutions as of 50, and few', async () => {
    const small = await statements(DASHBOARD_QUERY, { ...dashboardVariables('310104', PERIOD), first: 5 });
    const large = await statements(DASHBOARD_QUERY, { ...dashboardVariables('310104', PERIOD), first: 50 });
    expect(small.data.institutions.edges).toHaveLength(5);
    expect(large.data.institutions.edges.length).toBeGreaterThan(20);
    expect(large.counts).toEqual(small.counts);
    // Cases: institutions' rows, histograms and overdue counts, and the trend's three: six statements at most.
    expect(large.counts.cases).toBeLessThanOrEqual(6);
  });

  it('answer Institution.caseStats for every institution in the registry in one query', async () => {
    const { data, counts } = await statements(allInstitutionsQuery(DISTRICT_CODES), PERIOD);
    const rows = Object.values(data).flatMap((page: any) => page.edges.map((e: any) => e.node));
    expect(rows.length).toBe(400);
    expect(rows.every((r: any) => r.caseStats !== null)).toBe(true);
    // One batch per district alias at most, never one per institution.
    expect(counts.cases).toBeLessThanOrEqual(3 * DISTRICT_CODES.length);
  });
});
