/**
 * The per-record half of the privacy policy: whether a principal handles a given case. Which role handles cases
 * through which relation is the table `CLEAR_ACCESS` in kit/privacy.ts (the gateway reads it too); this module applies
 * it to one case, and decides what a consent grant covers.
 */
import type { Principal } from '../../../kit/principal.js';
import { CLEAR_ACCESS, type PiiCategory } from '../../../kit/privacy.js';

/** What the policy needs to know of a case. */
export interface CaseAccess {
  id: string;
  district: string;
  institutionId: string | null;
  supervisingUnitId: string | null;
}

export interface Grant {
  id: string;
  categories: PiiCategory[];
  scopeInstitutionId: string | null;
  scopeDistrict: string | null;
  scopeCaseId: string | null;
  expiresAt: string;
}

/** Does an active grant cover this category for this case? Empty scope fields do not narrow. */
export function grantCovers(grants: readonly Grant[], category: PiiCategory, record: CaseAccess, now: Date): boolean {
  if (grants.length === 0) return false;
  const at = now.toISOString();
  return grants.some((g) => g.expiresAt > at && g.categories.includes(category)
    && (!g.scopeInstitutionId || g.scopeInstitutionId === record.institutionId)
    && (!g.scopeDistrict || g.scopeDistrict === record.district)
    && (!g.scopeCaseId || g.scopeCaseId === record.id));
}

/** Handling, decided from the record (and, for courts and commissions, the organisations the case was referred to). */
export function handles(principal: Principal, record: CaseAccess, referredTo: readonly string[]): boolean {
  switch (CLEAR_ACCESS[principal.role]) {
    case 'assigned institution': return !!principal.org && record.institutionId === principal.org;
    case 'supervising unit': return !!principal.org && record.supervisingUnitId === principal.org;
    case 'referred court or commission': return !!principal.org && referredTo.includes(principal.org);
    default: return false;
  }
}
