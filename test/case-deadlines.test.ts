import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { activeInstitution, MUTATIONS } from './support/cases.js';

const NOW = new Date('2026-02-13T02:00:00Z'); // Friday before the 2026 Spring Festival, 10:00 in Shanghai

describe('deadlines under the Shanghai profile', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ cases: 400, clock: () => NOW });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('starts the 3-working-day contact limit at dispatch, across the holiday and its make-up Saturday, and meets it on contact', async () => {
    const row = await hub.knex
      .cases('cases')
      .where('status', 'SUBMITTED')
      .where('submitted_at', '<', NOW.toISOString())
      .first();
    const target = await activeInstitution(hub);
    const dispatched = dataOf(
      await hub.query(
        MUTATIONS.dispatch,
        { id: row.id, to: target.id, v: row.version },
        { role: 'supervisor', org: target.unit },
      ),
    ).dispatchCase;
    expect(dispatched.deadlines).toEqual([
      {
        rule: 'CONTACT_RESPONDENT',
        startedAt: NOW.toISOString(),
        dueAt: '2026-02-25T15:59:59.999Z',
        metAt: null,
        overdue: false,
      },
    ]);
    const contacted = dataOf(
      await hub.query(
        MUTATIONS.contact,
        { id: row.id, at: NOW.toISOString(), willing: true, v: dispatched.version },
        { role: 'institution', org: target.id },
      ),
    ).recordRespondentContact;
    expect(contacted.deadlines).toEqual([{ ...dispatched.deadlines[0], metAt: NOW.toISOString() }]);
  });

  it('finds overdue cases through the index, agreeing with a recount from the raw rows', async () => {
    const { cases } = dataOf(
      await hub.query(
        `{ cases(filter: { overdue: true }, first: 500) { totalCount edges { node { id deadlines { dueAt metAt overdue } } } } }`,
      ),
    );
    const recount = await hub.knex
      .cases('case_deadlines')
      .whereNull('met_at')
      .where('due_at', '<', NOW.toISOString())
      .countDistinct({ n: 'case_seq' })
      .first();
    expect(cases.totalCount).toBe(Number(recount!.n));
    expect(cases.totalCount).toBeGreaterThan(0);
    for (const { node } of cases.edges)
      expect(node.deadlines.some((d: any) => d.overdue && d.metAt === null)).toBe(true);
    const notOverdue = dataOf(await hub.query(`{ cases(filter: { overdue: false }) { totalCount } }`));
    expect(notOverdue.cases.totalCount + cases.totalCount).toBe(400);
    // The overdue lookup can use the index on either store (PostgreSQL is asked to prefer it on a table this small).
    const overdue = 'select case_seq from case_deadlines where met_at is null and due_at < ?';
    const plan =
      hub.knex.cases.client.config.client === 'pg'
        ? await hub.knex.cases.transaction(async (trx) => {
            await trx.raw('set local enable_seqscan = off');
            return trx.raw(`explain ${overdue}`, [NOW.toISOString()]);
          })
        : await hub.knex.cases.raw(`explain query plan ${overdue}`, [NOW.toISOString()]);
    expect(JSON.stringify(plan)).toMatch(/case_deadlines_met_at_due_at_index/);
  });
});

describe('deadlines under the Hangzhou Binjiang profile', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ cases: 300, clock: () => NOW, jurisdiction: 'hangzhou-binjiang' });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('meets the 48-hour response limit on acceptance and starts the 30-day mediation limit', async () => {
    const row = await hub.knex
      .cases('cases')
      .where('status', 'DISPATCHED')
      .where('dispatched_at', '<', NOW.toISOString())
      .where((q) => q.whereNull('respondent_willing').orWhere('respondent_willing', true))
      .first();
    const accepted = dataOf(
      await hub.query(
        MUTATIONS.accept,
        { id: row.id, v: row.version },
        { role: 'institution', org: row.institution_id },
      ),
    ).acceptCase;
    const [respond, mediate] = accepted.deadlines;
    expect(respond).toMatchObject({ rule: 'RESPOND_OR_DIVERT', metAt: NOW.toISOString() });
    expect(Date.parse(respond.dueAt) - new Date(row.dispatched_at).getTime()).toBe(48 * 3_600_000);
    expect(respond.overdue).toBe(NOW.getTime() > Date.parse(respond.dueAt));
    expect(mediate).toEqual({
      rule: 'FINISH_MEDIATION',
      startedAt: NOW.toISOString(),
      dueAt: '2026-03-15T02:00:00.000Z',
      metAt: null,
      overdue: false,
    });
  });
});
