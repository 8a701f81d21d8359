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

/**
 * Four eyes: a grant wider than one category of one case (a scope of an institution, a district or every case, or
 * more than one category) is in force only once a second steward approves it. A narrow one is in force at once.
 */
export function needsSecondSteward(grant: Pick<Grant, 'categories' | 'scopeCaseId'>): boolean {
  return !grant.scopeCaseId || grant.categories.length > 1;
}

/** Does the grant's scope take in this case? Empty scope fields do not narrow. */
export function scopeCovers(grant: Grant, record: CaseAccess): boolean {
  return (
    (!grant.scopeInstitutionId || grant.scopeInstitutionId === record.institutionId) &&
    (!grant.scopeDistrict || grant.scopeDistrict === record.district) &&
    (!grant.scopeCaseId || grant.scopeCaseId === record.id)
  );
}

/** Does a grant in force cover this category for this case? */
export function grantCovers(grants: readonly Grant[], category: PiiCategory, record: CaseAccess, now: Date): boolean {
  if (grants.length === 0) return false;
  const at = now.toISOString();
  return grants.some((g) => g.expiresAt > at && g.categories.includes(category) && scopeCovers(g, record));
}

/**
 * The first (oldest) grant in force whose scope takes in the case, whatever its categories: the consumer sees the
 * case's party data within that grant's scope, so its pseudonyms there are that scope's.
 */
export function scopingGrant(grants: readonly Grant[], record: CaseAccess, now: Date): Grant | undefined {
  const at = now.toISOString();
  return grants.find((g) => g.expiresAt > at && scopeCovers(g, record));
}

/** Handling, decided from the record (and, for courts and commissions, the organisations the case was referred to). */
export function handles(principal: Principal, record: CaseAccess, referredTo: readonly string[]): boolean {
  switch (CLEAR_ACCESS[principal.role]) {
    case 'assigned institution':
      return !!principal.org && record.institutionId === principal.org;
    case 'supervising unit':
      return !!principal.org && record.supervisingUnitId === principal.org;
    case 'referred court or commission':
      return !!principal.org && referredTo.includes(principal.org);
    default:
      return false;
  }
}
