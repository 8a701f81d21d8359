/**
 * The registry's policy in one place: which institutions take new cases, and who may act on which institution.
 * Resolvers and commands ask here; no rule is repeated elsewhere.
 */
import { forbidden, hubError, ErrorCode } from '../../kit/errors.js';
import type { Principal } from '../../kit/principal.js';

/** Only these statuses receive new dispatches and referrals. */
export const TAKES_NEW_CASES: readonly string[] = ['ACTIVE'];

interface Managed {
  id: string;
  status: string;
  supervisingUnitId: string | null;
}

/** True when the principal is the supervising unit that manages this institution. */
export function isSupervisingUnitOf(principal: Principal, institution: Managed): boolean {
  return principal.role === 'supervisor' && institution.supervisingUnitId !== null && principal.org === institution.supervisingUnitId;
}

/** A dispatch needs the target's own supervising unit; the refusal says nothing about the institution. */
export function authorizeDispatch(principal: Principal, institution: Managed): void {
  if (!isSupervisingUnitOf(principal, institution)) throw forbidden('reserveDispatch is allowed only to the supervising unit that manages the institution');
}

export function requireTakesNewCases(institution: Managed): void {
  if (!TAKES_NEW_CASES.includes(institution.status)) {
    throw hubError(ErrorCode.INSTITUTION_NOT_ACTIVE, `institution ${institution.id} is ${institution.status}: only an ACTIVE institution takes new cases`, {
      institutionStatus: institution.status,
    });
  }
}
