import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type GraphQLResult, type Hub } from './support/hub.js';
import { MUTATIONS } from './support/cases.js';
import { caseSupply, REFERRAL_MUTATIONS, targets } from './support/referrals.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 200, clock: () => new Date('2026-06-01T02:00:00Z') });
});
afterAll(async () => {
  await hub?.close();
});

const MISSING_CASE = '310000-2026-9999999';
const MISSING_REFERRAL = 'RF-2026-999999';

type As = { role: string; org?: string };

/** Whole answers compared: status, data, every error's message, code, extensions, path. Neither names the id. */
function expectSameAnswer(foreign: GraphQLResult, missing: GraphQLResult, ids: string[]) {
  expect(foreign.status).toBe(missing.status);
  expect(foreign.body).toEqual(missing.body);
  for (const id of ids) expect(JSON.stringify(foreign.body)).not.toContain(id);
}

async function caseIn(status: string) {
  return hub.knex.cases('cases').where('status', status).whereNotNull('institution_id').orderBy('seq').first();
}

/** An active mediation institution that is not this one. */
async function otherInstitution(id: string): Promise<string> {
  return (
    await hub.knex
      .institutions('institutions')
      .whereNot('id', id)
      .where({ kind: 'PEOPLES_MEDIATION', status: 'ACTIVE' })
      .first()
  ).id;
}

describe('a case you may not act on answers exactly as a case that does not exist', () => {
  const institutionMoves: [string, string, (id: string, v: number) => Record<string, unknown>][] = [
    ['accept', 'DISPATCHED', (id, v) => ({ id, v })],
    ['reject', 'DISPATCHED', (id, v) => ({ id, v, reason: '不属于受理范围' })],
    ['contact', 'DISPATCHED', (id, v) => ({ id, v, at: '2026-05-30T02:00:00Z', willing: true })],
    ['close', 'ACCEPTED', (id, v) => ({ id, v, outcome: 'RESOLVED', subject: '工资支付' })],
  ];

  it.each(institutionMoves)(
    '%s: another institution\'s case is NOT_FOUND "case not found", as a missing one',
    async (mutation, status, variables) => {
      const row = await caseIn(status);
      const as: As = { role: 'institution', org: await otherInstitution(row.institution_id) };
      const query = MUTATIONS[mutation as keyof typeof MUTATIONS];
      const foreign = await hub.query(query, variables(row.id, row.version), as);
      const missing = await hub.query(query, variables(MISSING_CASE, row.version), as);
      expectSameAnswer(foreign, missing, [row.id, MISSING_CASE]);
      expect(missing.body.errors).toEqual([
        {
          message: 'case not found',
          path: [expect.any(String)],
          extensions: { code: 'NOT_FOUND', serviceName: 'cases' },
        },
      ]);
      expect((await hub.knex.cases('cases').where('id', row.id).first()).version).toBe(row.version);
    },
  );

  it("dispatchCase: re-dispatching another unit's case is as dispatching a missing one", async () => {
    const row = await caseIn('DISPATCHED');
    const as: As = { role: 'supervisor', org: row.supervising_unit_id === 'SU-HRSS' ? 'SU-JUSTICE' : 'SU-HRSS' };
    const foreign = await hub.query(MUTATIONS.dispatch, { id: row.id, to: row.institution_id, v: row.version }, as);
    const missing = await hub.query(
      MUTATIONS.dispatch,
      { id: MISSING_CASE, to: row.institution_id, v: row.version },
      as,
    );
    expectSameAnswer(foreign, missing, [row.id, MISSING_CASE]);
    expect(missing.body.errors![0]).toMatchObject({ message: 'case not found', extensions: { code: 'NOT_FOUND' } });
  });

  it('withdrawCase: a missing case is "case not found", without its id', async () => {
    const missing = await hub.query(MUTATIONS.withdraw, { id: MISSING_CASE, reason: '撤回', v: 1 }, { role: 'intake' });
    expect(missing.body.errors).toEqual([
      { message: 'case not found', path: ['withdrawCase'], extensions: { code: 'NOT_FOUND', serviceName: 'cases' } },
    ]);
  });

  it('a caller in the wrong role is FORBIDDEN by role alike for a case that exists and one that does not', async () => {
    const row = await caseIn('DISPATCHED');
    for (const [as, message] of [
      [{ role: 'admin' }, 'acceptCase needs role institution'],
      [{ role: 'court', org: 'IN-00003' }, 'acceptCase needs role institution'],
    ] as const) {
      const existing = await hub.query(MUTATIONS.accept, { id: row.id, v: row.version }, as);
      const missing = await hub.query(MUTATIONS.accept, { id: MISSING_CASE, v: row.version }, as);
      expectSameAnswer(existing, missing, [row.id, MISSING_CASE]);
      expect(missing.body.errors![0]).toMatchObject({ message, extensions: { code: 'FORBIDDEN' } });
    }
  });

  it("requestReferral: another institution's closed case is as a missing case", async () => {
    const row = await caseIn('RESOLVED');
    const as: As = { role: 'institution', org: await otherInstitution(row.institution_id) };
    const [court] = await targets(hub, ['COURT']);
    const foreign = await hub.query(
      REFERRAL_MUTATIONS.request,
      { caseId: row.id, kind: 'JUDICIAL_CONFIRMATION', targetId: court },
      as,
    );
    const missing = await hub.query(
      REFERRAL_MUTATIONS.request,
      { caseId: MISSING_CASE, kind: 'JUDICIAL_CONFIRMATION', targetId: court },
      as,
    );
    expectSameAnswer(foreign, missing, [row.id, MISSING_CASE]);
    expect(missing.body.errors![0]).toMatchObject({ message: 'case not found', extensions: { code: 'NOT_FOUND' } });
  });

  it("acceptReferral: another court's referral is as a missing referral", async () => {
    const [c] = await caseSupply(hub)('RESOLVED');
    const [court, other] = await targets(hub, ['COURT']);
    const referral = dataOf(
      await hub.query(
        REFERRAL_MUTATIONS.request,
        { caseId: c!.id, kind: 'JUDICIAL_CONFIRMATION', targetId: court },
        { role: 'institution', org: c!.institutionId },
      ),
    ).requestReferral;
    const as: As = { role: 'court', org: other };
    const foreign = await hub.query(REFERRAL_MUTATIONS.accept, { id: referral.id, v: 1 }, as);
    const missing = await hub.query(REFERRAL_MUTATIONS.accept, { id: MISSING_REFERRAL, v: 1 }, as);
    expectSameAnswer(foreign, missing, [referral.id, MISSING_REFERRAL]);
    expect(missing.body.errors![0]).toMatchObject({ message: 'referral not found', extensions: { code: 'NOT_FOUND' } });
  });
});
