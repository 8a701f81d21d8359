/**
 * Referral figures are kept between requests under the referrals' generation (kit/generation.ts) only while they are
 * right: asked again with nothing written, only the generation is read; after a referral write, the next answer
 * counts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { caseSupply, REFERRAL_MUTATIONS as M, targets } from './support/referrals.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 600 });
});
afterAll(async () => {
  await hub?.close();
});

const PERIOD = { from: '2020-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z' };

describe('kept referral figures', () => {
  it('are read once, then answered from the generation alone, and count a referral write in the next answer', async () => {
    const [court] = await targets(hub, ['COURT']);
    const query = `query($id: ID!, $from: DateTime!, $to: DateTime!) { institution(id: $id) {
      counted: referralStats(from: $from, to: $to) { received accepted declined decided }
      full: referralStats(from: $from, to: $to) { received accepted medianDaysToDecision } } }`;
    const variables = { id: court, ...PERIOD };
    hub.counters.referrals.reset();
    const before = dataOf(await hub.query(query, variables)).institution;
    const computed = hub.counters.referrals.count();
    // Nothing written: the same answer, and the one statement is the generation's read.
    hub.counters.referrals.reset();
    expect(dataOf(await hub.query(query, variables)).institution).toEqual(before);
    expect(hub.counters.referrals.count()).toBe(1);
    expect(computed).toBeGreaterThan(1);

    const [c] = await caseSupply(hub)('RESOLVED');
    const referral = dataOf(
      await hub.query(
        M.request,
        { caseId: c!.id, kind: 'JUDICIAL_CONFIRMATION', targetId: court },
        { role: 'institution', org: c!.institutionId },
      ),
    ).requestReferral;
    const received = dataOf(await hub.query(query, variables)).institution;
    expect(received.counted).toEqual({ ...before.counted, received: before.counted.received + 1 });
    expect(received.full.received).toBe(before.full.received + 1);

    dataOf(await hub.query(M.accept, { id: referral.id, v: 1 }, { role: 'court', org: court }));
    const accepted = dataOf(await hub.query(query, variables)).institution;
    expect(accepted.counted).toEqual({
      ...before.counted,
      received: before.counted.received + 1,
      accepted: before.counted.accepted + 1,
    });
  });
});
