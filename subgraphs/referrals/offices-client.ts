/**
 * What the referrals system asks the other offices before it records a referral: the case's status and assigned
 * institution (the case registry's truth, never the client's word) and the target's kind and status (the
 * institutions registry's truth). Both are asked directly, with the caller's own internal token.
 *
 * Why the answer cannot go stale: a referral needs a case closed RESOLVED or UNRESOLVED, and closed cases are
 * terminal in the case lifecycle (no move leaves RESOLVED or UNRESOLVED, and only a dispatch, from SUBMITTED or
 * DISPATCHED, changes the assigned institution). A closed case seen once stays closed, with the same institution,
 * so the check and the insert need no common transaction. A case seen in any other state is refused.
 */
import { officeClient } from '../../kit/office-client.js';
import type { Caller } from '../../kit/principal.js';

export interface CaseFacts {
  status: string;
  institutionId: string | null;
}

export interface InstitutionFacts {
  kind: string;
  status: string;
}

const CASE = 'query($id: ID!) { case(id: $id) { status institution { id } } }';
const INSTITUTION = 'query($id: ID!) { institution(id: $id) { kind status } }';

export function partners(urls: { cases: string; institutions: string }) {
  const cases = officeClient('cases', urls.cases);
  const institutions = officeClient('institutions', urls.institutions);
  return {
    async caseFacts(caseId: string, caller: Caller): Promise<CaseFacts | null> {
      const data = await cases<{ case: { status: string; institution: { id: string } | null } | null }>(
        CASE,
        { id: caseId },
        caller,
      );
      return data.case ? { status: data.case.status, institutionId: data.case.institution?.id ?? null } : null;
    },
    async institutionFacts(id: string, caller: Caller): Promise<InstitutionFacts | null> {
      const data = await institutions<{ institution: InstitutionFacts | null }>(INSTITUTION, { id }, caller);
      return data.institution;
    },
  };
}

export type Partners = ReturnType<typeof partners>;
