/**
 * Statistics are kept between requests (kit/generation.ts) only while they are right: a mutation is visible in the
 * very next answer, through this service or through another replica on the same store, and "overdue now" moves when
 * a due time passes, with no write at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { MUTATIONS } from './support/cases.js';
import { CaseStatistics } from '../subgraphs/cases/statistics/statistics.js';
import { profileNamed } from '../subgraphs/cases/deadlines/deadlines.js';

let hub: Hub;
const NOW = new Date('2026-11-02T00:00:00Z');
beforeAll(async () => {
  hub = await startHub({ cases: 600, institutions: 40, clock: () => NOW });
});
afterAll(async () => {
  await hub?.close();
});

const FIGURES =
  'received accepted resolved unresolved open overdueNow medianDaysToClose successRate { numerator denominator }';

describe('kept statistics', () => {
  it('show a mutation in the next answer, for the institution and the trend of its district', async () => {
    const row = await hub.knex
      .cases('cases')
      .where('status', 'ACCEPTED')
      .where((q) => q.whereNull('respondent_willing').orWhere('respondent_willing', true))
      .orderBy('seq')
      .first();
    expect(row).toBeDefined();
    const as = { role: 'institution', org: row.institution_id };
    const query = `query($id: ID!, $district: String!) {
      institution(id: $id) { caseStats { ${FIGURES} } }
      trend: caseStats(filter: { district: $district }, groupBy: [STATUS]) { status received }
    }`;
    const variables = { id: row.institution_id, district: row.district };
    hub.counters.cases.reset();
    const before = dataOf(await hub.query(query, variables, as));
    const computed = hub.counters.cases.count();
    // Asked again with nothing written: the same answer, from what was kept. The generation is all it reads: once
    // for each of the two calls the gateway makes to the cases subgraph (the trend, the institution's entity).
    hub.counters.cases.reset();
    expect(dataOf(await hub.query(query, variables, as))).toEqual(before);
    expect(hub.counters.cases.count()).toBe(2);
    expect(computed).toBeGreaterThan(2);

    dataOf(
      await hub.query(
        MUTATIONS.close,
        { id: row.id, outcome: 'RESOLVED', subject: '达成调解协议', v: row.version },
        as,
      ),
    );

    const after = dataOf(await hub.query(query, variables, as));
    const was = before.institution.caseStats;
    expect(after.institution.caseStats).toMatchObject({
      received: was.received,
      resolved: was.resolved + 1,
      open: was.open - 1,
      successRate: { numerator: was.successRate.numerator + 1, denominator: was.successRate.denominator + 1 },
    });
    const count = (rows: any[], status: string) => rows.find((r) => r.status === status)?.received ?? 0;
    expect(count(after.trend, 'RESOLVED')).toBe(count(before.trend, 'RESOLVED') + 1);
    expect(count(after.trend, 'ACCEPTED')).toBe(count(before.trend, 'ACCEPTED') - 1);
  });

  it('show a write made through another replica on the same store (the generation is in the database)', async () => {
    // A second cases service's statistics over the same store, as another replica would hold them.
    const replica = new CaseStatistics(hub.knex.cases, {
      suppressionThreshold: 5,
      cache: true,
      profile: profileNamed('shanghai'),
      clock: () => NOW,
    });
    const row = await hub.knex
      .cases('cases')
      .where('status', 'ACCEPTED')
      .where((q) => q.whereNull('respondent_willing').orWhere('respondent_willing', true))
      .orderBy('seq', 'desc')
      .first();
    const own = { sub: 'replica-desk', role: 'institution' as const, org: String(row.institution_id) };
    const figures = async () =>
      (await replica.forRequest(own).query({ institutionId: row.institution_id }, ['STATUS'])).map(
        (r): [string, number | null] => [r.group.status!, r.counts?.n ?? null],
      );
    const before = await figures();
    expect(await figures()).toEqual(before);
    // The write goes through the hub's own cases service, not this replica.
    dataOf(
      await hub.query(
        MUTATIONS.close,
        { id: row.id, outcome: 'UNRESOLVED', remedies: '告知当事人可申请仲裁或起诉', v: row.version },
        { role: 'institution', org: row.institution_id },
      ),
    );
    const after = new Map(await figures());
    const was = new Map(before);
    expect(after.get('UNRESOLVED') ?? 0).toBe((was.get('UNRESOLVED') ?? 0) + 1);
  });

  it('count a case overdue once its due time passes, with nothing written in between', async () => {
    const running = await hub.knex.cases('case_stats_running').whereNot('institution_id', '').orderBy('due_at').first();
    expect(running).toBeDefined();
    const due = Date.parse(String(running.due_at));
    let now = new Date(due - 60_000);
    const statistics = new CaseStatistics(hub.knex.cases, {
      suppressionThreshold: 5,
      cache: true,
      profile: profileNamed('shanghai'),
      clock: () => now,
    });
    const overdue = async () => {
      const request = statistics.forRequest({
        sub: 'clock-desk',
        role: 'institution',
        org: String(running.institution_id),
      });
      const [row] = await request.query({ institutionId: running.institution_id }, []);
      return request.overdueNow(row!);
    };
    const early = await overdue();
    expect(await overdue()).toBe(early);
    now = new Date(due + 60_000);
    expect(await overdue()).toBeGreaterThan(early ?? 0);
  });
});
