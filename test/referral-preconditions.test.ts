import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { caseSupply, COMMISSION_KINDS, REFERRAL_MUTATIONS, targets } from './support/referrals.js';

let hub: Hub;
let take: ReturnType<typeof caseSupply>;
let courts: string[];
let commissions: string[];
let mediators: string[];

beforeAll(async () => {
  hub = await startHub({ cases: 300 });
  take = caseSupply(hub);
  courts = await targets(hub, ['COURT']);
  commissions = await targets(hub, COMMISSION_KINDS);
  mediators = await targets(hub, ['PEOPLES_MEDIATION']);
});
afterAll(async () => {
  await hub?.close();
});

/** Referrals recorded by this test run (the demo world's referrals predate it). */
const recorded = async (caseId: string) =>
  Number(
    (await hub.knex
      .referrals('referrals')
      .where('case_id', caseId)
      .join('referral_events', 'referral_events.referral_seq', 'referrals.seq')
      .count({ n: '*' })
      .first())!.n,
  );

const request = (as: string, variables: Record<string, unknown>) =>
  hub.query(REFERRAL_MUTATIONS.request, variables, { role: 'institution', org: as });

/** Each kind, the case status it needs, where it goes, and an agreement when it needs one. */
const KINDS = [
  {
    kind: 'JUDICIAL_CONFIRMATION',
    status: 'RESOLVED',
    other: 'UNRESOLVED',
    target: () => courts[0],
    wrongTarget: () => commissions[0],
  },
  {
    kind: 'ARBITRATION_CONFIRMATION',
    status: 'RESOLVED',
    other: 'UNRESOLVED',
    target: () => commissions[0],
    wrongTarget: () => courts[0],
  },
  {
    kind: 'ARBITRATION_APPLICATION',
    status: 'UNRESOLVED',
    other: 'RESOLVED',
    target: () => commissions[1],
    wrongTarget: () => courts[1],
    agreement: 'AFTER_DISPUTE',
  },
  {
    kind: 'LITIGATION',
    status: 'UNRESOLVED',
    other: 'RESOLVED',
    target: () => courts[1],
    wrongTarget: () => mediators[0],
  },
] as const;

describe.each(KINDS)('$kind', (k) => {
  const agreement = 'agreement' in k ? k.agreement : undefined;

  it(`is recorded for a case closed ${k.status}, to the right kind of active institution, asked by the assigned institution`, async () => {
    const [c] = await take(k.status);
    const referral = dataOf(
      await request(c!.institutionId, { caseId: c!.id, kind: k.kind, targetId: k.target(), agreement }),
    ).requestReferral;
    expect(referral).toMatchObject({
      kind: k.kind,
      status: 'SUBMITTED',
      version: 1,
      case: { id: c!.id },
      target: { id: k.target() },
      requestedBy: { id: c!.institutionId },
      arbitrationAgreement: agreement ?? null,
      history: [{ action: 'REQUEST', actorRole: 'institution', fromStatus: null, toStatus: 'SUBMITTED', reason: null }],
    });
    expect(referral.id).toMatch(/^RF-\d{4}-\d{6}$/);
    const row = await hub.knex.referrals('referrals').where('id', referral.id).first();
    expect(row).toMatchObject({
      case_id: c!.id,
      target_id: k.target(),
      requested_by: c!.institutionId,
      status: 'SUBMITTED',
    });
  });

  it(`is refused for a case closed ${k.other} or still open, naming the status`, async () => {
    for (const status of [k.other, 'ACCEPTED', 'DISPATCHED', 'REJECTED']) {
      const [c] = await take(status);
      const result = await request(c!.institutionId, { caseId: c!.id, kind: k.kind, targetId: k.target(), agreement });
      expect(codesOf(result)).toEqual(['INVALID_TRANSITION']);
      expect(result.body.errors![0]!.extensions).toMatchObject({
        currentStatus: status,
        attempted: `REQUEST ${k.kind}`,
      });
      expect(result.body.errors![0]!.message).toContain(k.status);
      expect(await recorded(c!.id)).toBe(0);
    }
  });

  it('is refused to the wrong kind of target, and to a target that is not active', async () => {
    const [c] = await take(k.status);
    const wrong = await request(c!.institutionId, {
      caseId: c!.id,
      kind: k.kind,
      targetId: k.wrongTarget(),
      agreement,
    });
    expect(codesOf(wrong)).toEqual(['BAD_USER_INPUT']);
    expect(wrong.body.errors![0]!.extensions!.field).toBe('targetId');

    const unknown = await request(c!.institutionId, {
      caseId: c!.id,
      kind: k.kind,
      targetId: 'NO-SUCH-INSTITUTION',
      agreement,
    });
    expect(codesOf(unknown)).toEqual(['BAD_USER_INPUT']);

    // The registry suspends the target (arranged in its store): the referrals system asks it, so it refuses.
    await hub.knex.institutions('institutions').where('id', k.target()).update({ status: 'SUSPENDED' });
    try {
      const suspended = await request(c!.institutionId, {
        caseId: c!.id,
        kind: k.kind,
        targetId: k.target(),
        agreement,
      });
      expect(codesOf(suspended)).toEqual(['BAD_USER_INPUT']);
      expect(suspended.body.errors![0]!.message).toContain('SUSPENDED');
    } finally {
      await hub.knex.institutions('institutions').where('id', k.target()).update({ status: 'ACTIVE' });
    }
    expect(await recorded(c!.id)).toBe(0);
  });

  it('is refused to any institution but the one the case is assigned to, and to other roles, saying nothing about the case', async () => {
    const [c] = await take(k.status);
    const other = mediators.find((m) => m !== c!.institutionId)!;
    const foreign = await request(other, { caseId: c!.id, kind: k.kind, targetId: k.target(), agreement });
    expect(codesOf(foreign)).toEqual(['NOT_FOUND']);
    expect(foreign.body.errors![0]!.message).not.toContain(c!.id);
    for (const as of [
      { role: 'court', org: k.target() },
      { role: 'supervisor', org: 'SU-JUSTICE' },
      { role: 'admin' },
    ]) {
      const result = await hub.query(
        REFERRAL_MUTATIONS.request,
        { caseId: c!.id, kind: k.kind, targetId: k.target(), agreement },
        as,
      );
      expect(codesOf(result)).toEqual(['FORBIDDEN']);
    }
    expect(await recorded(c!.id)).toBe(0);
  });
});

describe('the arbitration agreement', () => {
  it('is required for an arbitration application and refused on any other kind, naming the field', async () => {
    const [unresolved] = await take('UNRESOLVED');
    const missing = await request(unresolved!.institutionId, {
      caseId: unresolved!.id,
      kind: 'ARBITRATION_APPLICATION',
      targetId: commissions[0],
    });
    expect(codesOf(missing)).toEqual(['BAD_USER_INPUT']);
    expect(missing.body.errors![0]!.extensions!.field).toBe('arbitrationAgreement');
    const [resolved] = await take('RESOLVED');
    const extra = await request(resolved!.institutionId, {
      caseId: resolved!.id,
      kind: 'JUDICIAL_CONFIRMATION',
      targetId: courts[0],
      agreement: 'BEFORE_DISPUTE',
    });
    expect(codesOf(extra)).toEqual(['BAD_USER_INPUT']);
    expect(extra.body.errors![0]!.extensions!.field).toBe('arbitrationAgreement');
  });
});

describe('a case and its referrals', () => {
  it('is NOT_FOUND when the case registry does not know it', async () => {
    const result = await request(mediators[0]!, {
      caseId: '310000-2026-9999999',
      kind: 'LITIGATION',
      targetId: courts[0],
    });
    expect(codesOf(result)).toEqual(['NOT_FOUND']);
  });

  it("has at most one referral in a court's or commission's hands; a declined one can be sent elsewhere", async () => {
    const [c] = await take('RESOLVED');
    const first = dataOf(
      await request(c!.institutionId, { caseId: c!.id, kind: 'JUDICIAL_CONFIRMATION', targetId: courts[0] }),
    ).requestReferral;
    const second = await request(c!.institutionId, {
      caseId: c!.id,
      kind: 'ARBITRATION_CONFIRMATION',
      targetId: commissions[0],
    });
    expect(codesOf(second)).toEqual(['CONFLICT']);
    expect(second.body.errors![0]!.extensions!.openReferral).toBe(first.id);
    dataOf(
      await hub.query(
        REFERRAL_MUTATIONS.decline,
        { id: first.id, reason: '不属于本院管辖', v: 1 },
        { role: 'court', org: courts[0] },
      ),
    );
    const again = dataOf(
      await request(c!.institutionId, { caseId: c!.id, kind: 'JUDICIAL_CONFIRMATION', targetId: courts[2] }),
    ).requestReferral;
    expect(again).toMatchObject({ status: 'SUBMITTED', target: { id: courts[2] } });
  });

  it('replays an idempotent request and refuses the key for another request', async () => {
    const [c] = await take('UNRESOLVED');
    const vars = { caseId: c!.id, kind: 'LITIGATION', targetId: courts[0], key: `ref-${c!.id}` };
    const first = dataOf(await request(c!.institutionId, vars)).requestReferral;
    const retry = dataOf(await request(c!.institutionId, vars)).requestReferral;
    expect(retry.id).toBe(first.id);
    expect(await recorded(c!.id)).toBe(1);
    const reused = await request(c!.institutionId, { ...vars, targetId: courts[1] });
    expect(codesOf(reused)).toEqual(['BAD_USER_INPUT']);
    expect(reused.body.errors![0]!.extensions!.field).toBe('idempotencyKey');
  });
});
