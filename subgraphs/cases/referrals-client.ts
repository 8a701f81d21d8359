/**
 * Which courts and commissions each case was referred to, asked of the referrals subgraph (the courts' system of
 * record) with the caller's own internal token: a court or commission handles the cases referred to it, so it sees
 * their party data. Batched: one call for every case a response touches.
 */
import { officeClient } from '../../kit/office-client.js';
import type { Caller } from '../../kit/principal.js';

const TARGETS = `query($caseIds: [ID!]!) { referralTargetsOf(caseIds: $caseIds) { caseId targetIds } }`;

export function referralsClient(referralsUrl: string) {
  const ask = officeClient('referrals', referralsUrl);
  return async function referralTargetsOf(caseIds: readonly string[], caller: Caller): Promise<Map<string, string[]>> {
    const data = await ask<{ referralTargetsOf: { caseId: string; targetIds: string[] }[] }>(
      TARGETS,
      { caseIds },
      caller,
    );
    return new Map(data.referralTargetsOf.map((t) => [t.caseId, t.targetIds]));
  };
}

export type ReferralTargetsOf = ReturnType<typeof referralsClient>;
