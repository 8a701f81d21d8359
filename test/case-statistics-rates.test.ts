/**
 * Every statistics figure on a data set small enough to count by hand: eight cases of one institution, written
 * through the seed writer (the cube is built as for live changes), read through the gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { writeCaseBatch, type CaseSeed } from '../subgraphs/cases/seed-writer.js';
import { profileNamed } from '../subgraphs/cases/deadlines/deadlines.js';
import { percentileDays } from '../subgraphs/cases/statistics/rates.js';
import { createDatabases, postgresReachable } from './support/postgres.js';

const NOW = new Date('2026-06-01T02:00:00Z');
const INSTITUTION = 'IN-00001';
const UNIT = 'SU-JUSTICE';

/** A case of the institution, its timeline made from the instants given. */
function handCase(
  seq: number,
  status: string,
  t: { submitted: string; dispatched?: string; accepted?: string; closed?: string },
): CaseSeed {
  const events: CaseSeed['events'] = [
    {
      at: t.submitted,
      action: 'SUBMIT',
      actor: 'portal',
      actorRole: 'intake',
      fromStatus: null,
      toStatus: 'SUBMITTED',
      reason: null,
    },
  ];
  if (t.dispatched)
    events.push({
      at: t.dispatched,
      action: 'DISPATCH',
      actor: 'desk',
      actorRole: 'supervisor',
      fromStatus: 'SUBMITTED',
      toStatus: 'DISPATCHED',
      reason: null,
    });
  if (t.accepted)
    events.push({
      at: t.accepted,
      action: 'ACCEPT',
      actor: 'staff',
      actorRole: 'institution',
      fromStatus: 'DISPATCHED',
      toStatus: 'ACCEPTED',
      reason: null,
    });
  if (status === 'REJECTED')
    events.push({
      at: t.closed!,
      action: 'REJECT',
      actor: 'staff',
      actorRole: 'institution',
      fromStatus: 'DISPATCHED',
      toStatus: 'REJECTED',
      reason: '不属于受理范围',
    });
  if (status === 'RESOLVED' || status === 'UNRESOLVED')
    events.push({
      at: t.closed!,
      action: 'CLOSE',
      actor: 'staff',
      actorRole: 'institution',
      fromStatus: 'ACCEPTED',
      toStatus: status,
      reason: null,
    });
  if (status === 'WITHDRAWN')
    events.push({
      at: t.closed!,
      action: 'WITHDRAW',
      actor: 'portal',
      actorRole: 'intake',
      fromStatus: 'SUBMITTED',
      toStatus: 'WITHDRAWN',
      reason: '撤回',
    });
  const assigned = t.dispatched !== undefined;
  return {
    seq,
    id: `310000-2026-${String(seq).padStart(7, '0')}`,
    status,
    category: 'LABOUR',
    channel: 'ONLINE',
    district: '310104',
    externalRef: null,
    submittedAt: t.submitted,
    dispatchedAt: t.dispatched ?? null,
    acceptedAt: t.accepted ?? null,
    closedAt: t.closed ?? null,
    occurredAt: null,
    place: null,
    claims: '要求支付工资',
    description: null,
    agreementSubject: status === 'RESOLVED' ? '支付工资' : null,
    remedies: status === 'UNRESOLVED' ? '可申请仲裁' : null,
    rejectionReason: status === 'REJECTED' ? '不属于受理范围' : null,
    institutionId: assigned ? INSTITUTION : null,
    supervisingUnitId: assigned ? UNIT : null,
    respondentContactedAt: null,
    respondentWilling: null,
    version: events.length,
    // Keys in sixteenths of the key range: a set's cell key is (the sum of its cases' numbers mod 16) / 16.
    recordKey: seq * 2 ** 27,
    parties: [
      {
        role: 'APPLICANT',
        kind: 'PERSON',
        name: '张三',
        idNumber: '11010519491231002X',
        phone: null,
        email: null,
        address: null,
      },
    ],
    events,
  };
}

// Hand count (institution IN-00001, submitted March 2026, China time):
//  #  status      dispatched→response    accepted→closed     submitted→closed   open/overdue (hangzhou-binjiang)
//  1  RESOLVED    23 h  (within 48 h)    17 d (within 30 d)  18 d
//  2  RESOLVED    72 h                   43 d                46 d
//  3  UNRESOLVED  48 h  (within, exactly) 20 d (within)      22 d
//  4  REJECTED    12 h  (within)
//  5  WITHDRAWN   never dispatched (no institution: not in the institution's row)
//  6  DISPATCHED  no response yet                                               open, overdue (48 h limit)
//  7  ACCEPTED    120 h                                                          open, overdue (30-day limit)
//  8  DISPATCHED  submitted 2026-03-31T17:00Z = 1 April in China: an April case  open, overdue
const CASES = [
  handCase(1, 'RESOLVED', {
    submitted: '2026-03-02T00:00:00.000Z',
    dispatched: '2026-03-02T10:00:00.000Z',
    accepted: '2026-03-03T09:00:00.000Z',
    closed: '2026-03-20T09:00:00.000Z',
  }),
  handCase(2, 'RESOLVED', {
    submitted: '2026-03-05T00:00:00.000Z',
    dispatched: '2026-03-05T00:00:00.000Z',
    accepted: '2026-03-08T00:00:00.000Z',
    closed: '2026-04-20T00:00:00.000Z',
  }),
  handCase(3, 'UNRESOLVED', {
    submitted: '2026-03-10T00:00:00.000Z',
    dispatched: '2026-03-10T01:00:00.000Z',
    accepted: '2026-03-12T01:00:00.000Z',
    closed: '2026-04-01T01:00:00.000Z',
  }),
  handCase(4, 'REJECTED', {
    submitted: '2026-03-11T00:00:00.000Z',
    dispatched: '2026-03-11T00:00:00.000Z',
    closed: '2026-03-11T12:00:00.000Z',
  }),
  handCase(5, 'WITHDRAWN', { submitted: '2026-03-12T00:00:00.000Z', closed: '2026-03-13T00:00:00.000Z' }),
  handCase(6, 'DISPATCHED', { submitted: '2026-03-15T00:00:00.000Z', dispatched: '2026-03-15T00:00:00.000Z' }),
  handCase(7, 'ACCEPTED', {
    submitted: '2026-03-20T00:00:00.000Z',
    dispatched: '2026-03-20T00:00:00.000Z',
    accepted: '2026-03-25T00:00:00.000Z',
  }),
  handCase(8, 'DISPATCHED', { submitted: '2026-03-31T17:00:00.000Z', dispatched: '2026-04-01T00:00:00.000Z' }),
];

const ROW = `received accepted rejected resolved unresolved withdrawn open overdueNow suppressed perturbed
  successRate { numerator denominator value } respondedWithin48Hours { numerator denominator value }
  mediatedWithin30Days { numerator denominator value } medianDaysToClose p90DaysToClose
  targets { measure minimum value missed } missedTargets`;
const OWN = { role: 'institution', org: INSTITUTION };

// Both stores: the same figures from sqlite and from PostgreSQL.
const reachable = await postgresReachable();
for (const store of ['sqlite', 'postgres'] as const)
  describe.skipIf(store === 'postgres' && !reachable)(`statistics on a hand-counted data set (${store})`, () => {
    let hub: Hub;
    let databases: Awaited<ReturnType<typeof createDatabases>> | undefined;
    beforeAll(async () => {
      if (store === 'postgres') databases = await createDatabases(['cases', 'institutions', 'referrals']);
      hub = await startHub({
        cases: 0,
        clock: () => NOW,
        jurisdiction: 'hangzhou-binjiang',
        databaseUrls: databases?.urls,
      });
      await writeCaseBatch(hub.knex.cases, CASES, profileNamed('hangzhou-binjiang'));
    });
    afterAll(async () => {
      await hub?.close();
      await databases?.drop();
    });

    it("gives every figure of the institution's March cohort as counted by hand", async () => {
      const data = dataOf(
        await hub.query(
          `{ caseStats(filter: { institutionId: "${INSTITUTION}", from: "2026-03", to: "2026-03" }) { ${ROW} } }`,
          {},
          OWN,
        ),
      );
      expect(data.caseStats).toEqual([
        {
          received: 6,
          accepted: 4,
          rejected: 1,
          resolved: 2,
          unresolved: 1,
          withdrawn: 0,
          open: 2,
          overdueNow: 2,
          suppressed: false,
          perturbed: false,
          successRate: { numerator: 2, denominator: 3, value: 2 / 3 },
          respondedWithin48Hours: { numerator: 3, denominator: 6, value: 0.5 },
          mediatedWithin30Days: { numerator: 2, denominator: 3, value: 2 / 3 },
          medianDaysToClose: 22,
          p90DaysToClose: 46,
          targets: [
            { measure: 'successRate', minimum: 0.6, value: 2 / 3, missed: false },
            { measure: 'respondedWithin48Hours', minimum: 1, value: 0.5, missed: true },
            { measure: 'mediatedWithin30Days', minimum: 1, value: 2 / 3, missed: true },
          ],
          missedTargets: ['respondedWithin48Hours', 'mediatedWithin30Days'],
        },
      ]);
    });

    it('places a case in the month of its submission in China time, and groups by month and status', async () => {
      const byMonth = dataOf(
        await hub.query(
          `{ caseStats(groupBy: [MONTH]) { month received open overdueNow withdrawn } }`,
          {},
          { role: 'supervisor', org: UNIT },
        ),
      );
      // The unit sees its own cases in full; the unassigned withdrawn case is outside its scope and alone in its cell.
      expect(byMonth.caseStats).toEqual([
        { month: '2026-03', received: 6, open: 2, overdueNow: 2, withdrawn: 0 },
        { month: '2026-04', received: 1, open: 1, overdueNow: 1, withdrawn: 0 },
      ]);
      const byStatus = dataOf(
        await hub.query(
          `{ caseStats(filter: { institutionId: "${INSTITUTION}" }, groupBy: [STATUS]) { status received } }`,
          {},
          OWN,
        ),
      );
      expect(byStatus.caseStats).toEqual([
        { status: 'ACCEPTED', received: 1 },
        { status: 'DISPATCHED', received: 2 },
        { status: 'REJECTED', received: 1 },
        { status: 'RESOLVED', received: 2 },
        { status: 'UNRESOLVED', received: 1 },
      ]);
    });

    it('answers Institution.caseStats with the same figures', async () => {
      const data = dataOf(
        await hub.query(
          `{ institution(id: "${INSTITUTION}") { caseStats(from: "2026-03", to: "2026-03") { received resolved medianDaysToClose overdueNow } } }`,
          {},
          OWN,
        ),
      );
      expect(data.institution.caseStats).toEqual({ received: 6, resolved: 2, medianDaysToClose: 22, overdueNow: 2 });
    });

    it('gives an analyst every figure perturbed by the cell-key method, each keyed on its own set of cases', async () => {
      const data = dataOf(
        await hub.query(
          `{ caseStats(filter: { institutionId: "${INSTITUTION}" }) {
      perturbed suppressed received accepted resolved unresolved rejected open overdueNow successRate { numerator denominator value } respondedWithin48Hours { numerator denominator }
      medianDaysToClose missedTargets } }`,
          {},
          { role: 'analyst' },
        ),
      );
      // By hand, from perturbation-table.json (cell key = sum of case numbers mod 16, over 16):
      //  received   cases 1 2 3 4 6 7 8  true 7, key 15/16 = 0.9375 → noise +2 → 9
      //  accepted   cases 1 2 3 7        true 4, key 13/16 = 0.8125 → noise +2 → 6
      //  resolved   cases 1 2            true 2, key 3/16 → noise −2 → 0
      //  unresolved, rejected: one case each, and 1 can only become 0
      //  open       cases 6 7 8          true 3, key 5/16 = 0.3125 → noise −3 → 0; overdue now: the same cases, the same 0
      //  closed mediations 1 2 3 published as 0: no median (nothing of them published)
      //  dispatched: cases 1 2 3 4 6 7 8, the received set → 9; responded within 48 h: cases 1 3 4, key 8/16 → +2 → 5
      //  (5 of 9 misses the 48-hour target)
      expect(data.caseStats).toEqual([
        {
          perturbed: true,
          suppressed: false,
          received: 9,
          accepted: 6,
          resolved: 0,
          unresolved: 0,
          rejected: 0,
          open: 0,
          overdueNow: 0,
          successRate: { numerator: 0, denominator: 0, value: null },
          respondedWithin48Hours: { numerator: 5, denominator: 9 },
          medianDaysToClose: null,
          missedTargets: ['respondedWithin48Hours'],
        },
      ]);
    });

    it('computes percentiles by nearest rank, exactly at day resolution', () => {
      const histogram = new Map([
        [18, 1],
        [22, 1],
        [46, 1],
      ]);
      expect(percentileDays(histogram, 0.5)).toBe(22);
      expect(percentileDays(histogram, 0.9)).toBe(46);
      expect(
        percentileDays(
          new Map([
            [3, 2],
            [10, 2],
          ]),
          0.5,
        ),
      ).toBe(3); // lower median of an even count
      expect(percentileDays(new Map(), 0.5)).toBeNull();
    });

    it('refuses a malformed period naming the field', async () => {
      const result = await hub.query(`{ caseStats(filter: { from: "2026-3" }) { received } }`);
      expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.from' });
    });
  });
