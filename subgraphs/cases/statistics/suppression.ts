/**
 * Small-cell suppression (Shanghai measures, Article 23: shared data serves statistics, never the identification
 * of a party). The method, in full:
 *
 * 1. Primary suppression on the atoms. The statistics cube (cells.ts) is a partition of the cases into atoms
 *    (submission month × institution × supervising unit × district × category × channel × status). An atom holding
 *    at least one and fewer than `threshold` cases (JIEFEN_SUPPRESSION_THRESHOLD, default 5) is withheld.
 * 2. Secondary suppression by exclusion everywhere. A withheld atom enters no published figure at all: not its own
 *    row, not any total, rate, median, overdue count or trend that would contain it. Every filter and grouping the
 *    API offers selects whole atoms, so every published number is a sum over whole atoms that are each either 0 or
 *    at least `threshold`. Any difference or other combination of published numbers, from one answer or from many
 *    overlapping queries (a district total minus all but one institution, one month's trend minus the others, a
 *    filter by category against a filter by channel...), is a combination of published atoms only: a withheld atom
 *    cannot be recovered because it is in none of the equations. Classical per-table complementary suppression
 *    protects one table; this protects every query at once, at the price that totals count only publishable cases.
 * 3. The row says so. A row to which a withheld atom belongs carries `suppressed: true`; when nothing of it is
 *    publishable its figures are null. (Its withheld remainder is never given, or it could be subtracted.)
 *
 * Clearance: institution and supervisor principals see their own scope (cases assigned to the institution, or
 * dispatched by the unit) in full: their atoms are never withheld from them. Atoms outside that scope follow the
 * rule above, so their own figures cannot be used to isolate another office's small atoms. Every other role
 * (admin, intake, analyst, steward, court, arbitration) sees party-level detail only through a consent grant,
 * which statistics never use: for them every atom follows the rule.
 */
import type { Principal } from '../../../kit/principal.js';
import { CLEAR_ACCESS } from '../../../kit/privacy.js';

export interface SuppressionPolicy {
  threshold: number;
  /** The principal's own scope, seen without suppression: a column of the cube and its value. */
  ownScope: { column: 'institution_id' | 'supervising_unit_id'; value: string } | null;
}

export function suppressionPolicy(principal: Principal, threshold: number): SuppressionPolicy {
  // The roles whose handling is a column of the case (the policy table in kit/privacy.ts) see that scope in full.
  const handling = CLEAR_ACCESS[principal.role];
  if (handling === 'assigned institution' && principal.org) return { threshold, ownScope: { column: 'institution_id', value: principal.org } };
  if (handling === 'supervising unit' && principal.org) return { threshold, ownScope: { column: 'supervising_unit_id', value: principal.org } };
  return { threshold, ownScope: null };
}

/**
 * SQL condition (and its bindings) that an atom row of the cube, under `alias`, is publishable to this principal.
 * Atoms with no cases are publishable: they add nothing.
 */
export function publishableAtom(policy: SuppressionPolicy, alias: string): { sql: string; bindings: (string | number)[] } {
  const own = policy.ownScope ? ` or ${alias}.${policy.ownScope.column} = ?` : '';
  return {
    sql: `(${alias}.n >= ? or ${alias}.n <= 0${own})`,
    bindings: policy.ownScope ? [policy.threshold, policy.ownScope.value] : [policy.threshold],
  };
}

/** Is an atom of `n` cases, in or out of the principal's own scope, publishable? (The same rule, for code that holds atoms in memory.) */
export function isPublishable(policy: SuppressionPolicy, n: number, inOwnScope: boolean): boolean {
  return n >= policy.threshold || n <= 0 || inOwnScope;
}
