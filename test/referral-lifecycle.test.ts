import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { caseSupply, COMMISSION_KINDS, REFERRAL_MUTATIONS as M, targets } from './support/referrals.js';

let hub: Hub;
let take: ReturnType<typeof caseSupply>;
let courts: string[];
let commissions: string[];

beforeAll(async () => {
  hub = await startHub({ cases: 300 });
  take = caseSupply(hub);
  courts = await targets(hub, ['COURT']);
  commissions = await targets(hub, COMMISSION_KINDS);
});
afterAll(async () => {
  await hub?.close();
});

const court = (org: string) => ({ role: 'court', org });
const commission = (org: string) => ({ role: 'arbitration', org });

async function requested(status: string, kind: string, targetId: string, agreement?: string) {
  const [c] = await take(status);
  const referral = dataOf(
    await hub.query(
      M.request,
      { caseId: c!.id, kind, targetId, agreement },
      { role: 'institution', org: c!.institutionId },
    ),
  ).requestReferral;
  return { c: c!, referral };
}

describe("a court's judicial confirmation, from request to decision", () => {
  it('is accepted and decided by the target court, and the case shows its agreement confirmed', async () => {
    const { c, referral } = await requested('RESOLVED', 'JUDICIAL_CONFIRMATION', courts[0]!);
    const accepted = dataOf(await hub.query(M.accept, { id: referral.id, v: 1 }, court(courts[0]!))).acceptReferral;
    expect(accepted).toMatchObject({ status: 'ACCEPTED', version: 2 });
    const decidedAt = new Date(Date.now() - 60_000).toISOString();
    const decided = dataOf(
      await hub.query(
        M.decide,
        { id: referral.id, result: 'CONFIRMED', at: decidedAt, doc: '(2026)沪0104民特123号', v: 2 },
        court(courts[0]!),
      ),
    ).decideReferral;
    expect(decided).toMatchObject({
      status: 'DECIDED',
      version: 3,
      result: 'CONFIRMED',
      decidedAt,
      documentNumber: '(2026)沪0104民特123号',
    });
    expect(decided.history.map((e: any) => [e.action, e.actorRole, e.fromStatus, e.toStatus])).toEqual([
      ['REQUEST', 'institution', null, 'SUBMITTED'],
      ['ACCEPT', 'court', 'SUBMITTED', 'ACCEPTED'],
      ['DECIDE', 'court', 'ACCEPTED', 'DECIDED'],
    ]);
    const seen = dataOf(
      await hub.query(`query($id: ID!) { case(id: $id) { outcomeConfirmed referrals { id status result } } }`, {
        id: c.id,
      }),
    ).case;
    expect(seen.outcomeConfirmed).toBe(true);
    expect(seen.referrals).toContainEqual({ id: referral.id, status: 'DECIDED', result: 'CONFIRMED' });
  });

  it('is moved only by the target court: another court or a commission finds no such referral, the institution and an admin are FORBIDDEN', async () => {
    const { referral } = await requested('RESOLVED', 'JUDICIAL_CONFIRMATION', courts[1]!);
    for (const [as, code] of [
      [court(courts[2]!), 'NOT_FOUND'],
      [commission(commissions[0]!), 'NOT_FOUND'],
      [{ role: 'institution', org: referral.requestedBy.id }, 'FORBIDDEN'],
      [{ role: 'admin' }, 'FORBIDDEN'],
    ] as const) {
      const result = await hub.query(M.accept, { id: referral.id, v: 1 }, as);
      expect(codesOf(result)).toEqual([code]);
      expect(result.body.errors![0]!.message).not.toContain(referral.id);
    }
    expect((await hub.knex.referrals('referrals').where('id', referral.id).first()).status).toBe('SUBMITTED');
  });

  it('refuses moves the lifecycle does not have, naming the current status and the attempted move', async () => {
    const { referral } = await requested('RESOLVED', 'JUDICIAL_CONFIRMATION', courts[0]!);
    const early = await hub.query(
      M.decide,
      { id: referral.id, result: 'CONFIRMED', at: new Date().toISOString(), doc: 'X1', v: 1 },
      court(courts[0]!),
    );
    expect(codesOf(early)).toEqual(['INVALID_TRANSITION']);
    expect(early.body.errors![0]!.extensions).toMatchObject({ currentStatus: 'SUBMITTED', attempted: 'DECIDE' });
    dataOf(await hub.query(M.accept, { id: referral.id, v: 1 }, court(courts[0]!)));
    const late = await hub.query(M.decline, { id: referral.id, reason: '材料不全', v: 2 }, court(courts[0]!));
    expect(codesOf(late)).toEqual(['INVALID_TRANSITION']);
    expect(late.body.errors![0]!.extensions).toMatchObject({ currentStatus: 'ACCEPTED', attempted: 'DECLINE' });
    const twice = await hub.query(M.accept, { id: referral.id, v: 2 }, court(courts[0]!));
    expect(late.body.errors![0]!.message).toMatch(/ACCEPTED/);
    expect(codesOf(twice)).toEqual(['INVALID_TRANSITION']);
  });

  it('refuses a stale version with CONFLICT and the current version, and changes nothing', async () => {
    const { referral } = await requested('RESOLVED', 'JUDICIAL_CONFIRMATION', courts[0]!);
    dataOf(await hub.query(M.accept, { id: referral.id, v: 1 }, court(courts[0]!)));
    const stale = await hub.query(
      M.decide,
      { id: referral.id, result: 'CONFIRMED', at: new Date().toISOString(), doc: 'X2', v: 1 },
      court(courts[0]!),
    );
    expect(codesOf(stale)).toEqual(['CONFLICT']);
    expect(stale.body.errors![0]!.extensions!.currentVersion).toBe(2);
    expect(await hub.knex.referrals('referrals').where('id', referral.id).first()).toMatchObject({
      status: 'ACCEPTED',
      version: 2,
      result: null,
    });
  });

  it('validates the decision: a result of the kind, a past date after acceptance, a document number; a decline needs a reason', async () => {
    const { referral } = await requested('RESOLVED', 'JUDICIAL_CONFIRMATION', courts[0]!);
    const blank = await hub.query(M.decline, { id: referral.id, reason: '  ', v: 1 }, court(courts[0]!));
    expect(blank.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    dataOf(await hub.query(M.accept, { id: referral.id, v: 1 }, court(courts[0]!)));
    const cases = [
      [{ result: 'JUDGMENT', at: new Date(Date.now() - 1000).toISOString(), doc: 'X3' }, 'result'],
      [{ result: 'CONFIRMED', at: new Date(Date.now() + 86_400_000).toISOString(), doc: 'X3' }, 'decidedAt'],
      [{ result: 'CONFIRMED', at: '2020-01-01T00:00:00Z', doc: 'X3' }, 'decidedAt'],
      [{ result: 'CONFIRMED', at: new Date(Date.now() - 1000).toISOString(), doc: ' ' }, 'documentNumber'],
    ] as const;
    for (const [input, field] of cases) {
      const result = await hub.query(M.decide, { id: referral.id, ...input, v: 2 }, court(courts[0]!));
      expect(result.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await hub.knex.referrals('referrals').where('id', referral.id).first()).toMatchObject({
      status: 'ACCEPTED',
      version: 2,
    });
  });

  it('replays an idempotent decision and refuses the key for another one', async () => {
    const { referral } = await requested('RESOLVED', 'JUDICIAL_CONFIRMATION', courts[0]!);
    dataOf(await hub.query(M.accept, { id: referral.id, v: 1, key: `acc-${referral.id}` }, court(courts[0]!)));
    const retry = dataOf(
      await hub.query(M.accept, { id: referral.id, v: 1, key: `acc-${referral.id}` }, court(courts[0]!)),
    ).acceptReferral;
    expect(retry).toMatchObject({ status: 'ACCEPTED', version: 2 });
    const at = new Date(Date.now() - 1000).toISOString();
    const vars = { id: referral.id, result: 'NOT_CONFIRMED', at, doc: 'X4', v: 2, key: `dec-${referral.id}` };
    const first = dataOf(await hub.query(M.decide, vars, court(courts[0]!))).decideReferral;
    const again = dataOf(await hub.query(M.decide, vars, court(courts[0]!))).decideReferral;
    expect(again).toEqual(first);
    const other = await hub.query(M.decide, { ...vars, result: 'CONFIRMED' }, court(courts[0]!));
    expect(other.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
    expect(
      await hub.knex
        .referrals('referral_events')
        .join('referrals', 'referrals.seq', 'referral_events.referral_seq')
        .where('referrals.id', referral.id)
        .count({ n: '*' })
        .first(),
    ).toEqual({ n: 3 });
  });
});

describe("a commission's referrals", () => {
  it('decides an arbitration application with an award, moved by the arbitration role for the target', async () => {
    const { referral } = await requested('UNRESOLVED', 'ARBITRATION_APPLICATION', commissions[0]!, 'BEFORE_DISPUTE');
    expect(codesOf(await hub.query(M.accept, { id: referral.id, v: 1 }, court(commissions[0]!)))).toEqual([
      'NOT_FOUND',
    ]);
    dataOf(await hub.query(M.accept, { id: referral.id, v: 1 }, commission(commissions[0]!)));
    const notAward = await hub.query(
      M.decide,
      {
        id: referral.id,
        result: 'CONFIRMED',
        at: new Date(Date.now() - 1000).toISOString(),
        doc: '沪劳人仲(2026)办字第1号',
        v: 2,
      },
      commission(commissions[0]!),
    );
    expect(notAward.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'result' });
    const decided = dataOf(
      await hub.query(
        M.decide,
        {
          id: referral.id,
          result: 'AWARD_MADE',
          at: new Date(Date.now() - 1000).toISOString(),
          doc: '沪劳人仲(2026)办字第1号',
          v: 2,
        },
        commission(commissions[0]!),
      ),
    ).decideReferral;
    expect(decided).toMatchObject({ status: 'DECIDED', result: 'AWARD_MADE', arbitrationAgreement: 'BEFORE_DISPUTE' });
  });

  it('declines an arbitration confirmation with its reason, and the case is not confirmed', async () => {
    const { c, referral } = await requested('RESOLVED', 'ARBITRATION_CONFIRMATION', commissions[1]!);
    const declined = dataOf(
      await hub.query(
        M.decline,
        { id: referral.id, reason: '双方未共同选定本委员会', v: 1 },
        commission(commissions[1]!),
      ),
    ).declineReferral;
    expect(declined).toMatchObject({ status: 'DECLINED', declineReason: '双方未共同选定本委员会', version: 2 });
    expect(declined.history.at(-1)).toMatchObject({
      action: 'DECLINE',
      actorRole: 'arbitration',
      reason: '双方未共同选定本委员会',
    });
    const seen = dataOf(
      await hub.query(`query($id: ID!) { case(id: $id) { outcomeConfirmed referrals { id status } } }`, { id: c.id }),
    ).case;
    expect(seen.referrals).toContainEqual({ id: referral.id, status: 'DECLINED' });
    const confirmedBefore = await hub.knex
      .referrals('referrals')
      .where({ case_id: c.id, status: 'DECIDED', result: 'CONFIRMED' })
      .first();
    expect(seen.outcomeConfirmed).toBe(Boolean(confirmedBefore));
  });
});
