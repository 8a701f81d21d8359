/**
 * The referrals subgraph's per-record rule for its `@pii` fields (a decline reason, which may name a party): in clear
 * to the court or commission the referral went to (it wrote or received the referral), and otherwise to whom the
 * cases subgraph's per-record rule clears for the referred case (those who handle the case, or a consent grant for
 * the category and the case). The cases subgraph is asked once per request and category, for every case together,
 * and audits each answer as the read it allows or withholds. A field without a value needs no decision. When the
 * cases subgraph does not answer, nothing is cleared.
 */
import DataLoader from 'dataloader';
import type { Logger } from '../../kit/log.js';
import type { Principal } from '../../kit/principal.js';
import type { PiiCategory } from '../../kit/privacy.js';
import { officeClient } from '../../kit/office-client.js';
import type { Caller } from '../../kit/principal.js';
import type { ReferralRecord } from './store.js';

const CLEARANCE =
  'query($caseIds: [ID!]!, $category: PiiCategory!) { partyDataClearance(caseIds: $caseIds, category: $category) }';

/** Which of these cases the caller may see in clear for the category, by the cases subgraph's rule. */
export type ClearanceOf = (caseIds: readonly string[], category: PiiCategory, caller: Caller) => Promise<Set<string>>;

export function casesClearance(casesUrl: string): ClearanceOf {
  const ask = officeClient('cases', casesUrl);
  return async (caseIds, category, caller) =>
    new Set((await ask<{ partyDataClearance: string[] }>(CLEARANCE, { caseIds, category }, caller)).partyDataClearance);
}

/** A referral's events carry their referral, so the rule can decide for them. */
const referralOf = (parent: unknown): ReferralRecord =>
  (parent as { referral?: ReferralRecord }).referral ?? (parent as ReferralRecord);

export class ReferralPrivacy {
  private readonly cleared = new Map<PiiCategory, DataLoader<string, boolean>>();

  constructor(
    private readonly principal: Principal,
    private readonly caller: Caller,
    private readonly clearance: ClearanceOf,
    private readonly logger: Logger,
  ) {}

  decide(category: PiiCategory, parent: unknown, field: string): boolean | Promise<boolean> {
    if ((parent as Record<string, unknown>)[field] == null) return true;
    const referral = referralOf(parent);
    if (this.principal.org !== undefined && this.principal.org === referral.targetId) return true;
    return this.loaderOf(category).load(referral.caseId);
  }

  private loaderOf(category: PiiCategory): DataLoader<string, boolean> {
    let loader = this.cleared.get(category);
    if (!loader) {
      loader = new DataLoader(async (caseIds: readonly string[]) => {
        try {
          const cleared = await this.clearance(caseIds, category, this.caller);
          return caseIds.map((id) => cleared.has(id));
        } catch (error) {
          this.logger.error(
            { err: { name: (error as Error).name, message: (error as Error).message } },
            'could not ask the cases subgraph for clearance: party data withheld',
          );
          return caseIds.map(() => false);
        }
      });
      this.cleared.set(category, loader);
    }
    return loader;
  }
}
