/**
 * The gateway's questions to the cases subgraph, which keeps consent grants and the audit log: which categories a
 * principal's grants name now (read on every request that needs it, never cached, so a revocation takes effect on the
 * next request), and recording a search the gateway refused.
 */
import { officeClient } from '../kit/office-client.js';
import type { Principal } from '../kit/principal.js';
import type { PiiCategory } from '../kit/privacy.js';
import type { PrivacyOffice } from './redaction.js';

const GRANTS = '{ myDataGrants { categories } }';
const REFUSAL = `mutation($operation: String, $documentHash: String, $categories: [PiiCategory!]!, $detail: String!) {
  recordAccessRefusal(operation: $operation, documentHash: $documentHash, categories: $categories, detail: $detail) }`;

export function privacyOffice(casesUrl: string, credentials: (principal: Principal) => Promise<string>): PrivacyOffice {
  const ask = officeClient('cases', casesUrl);
  const caller = async (principal: Principal, requestId: string) => ({
    authorization: `Bearer ${await credentials(principal)}`,
    requestId,
  });
  return {
    async grantedCategories(principal, requestId) {
      const data = await ask<{ myDataGrants: { categories: PiiCategory[] }[] }>(
        GRANTS,
        {},
        await caller(principal, requestId),
      );
      return new Set(data.myDataGrants.flatMap((g) => g.categories));
    },
    async recordRefusal(principal, requestId, refusal) {
      await ask(REFUSAL, refusal, await caller(principal, requestId));
    },
  };
}
