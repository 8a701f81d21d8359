/**
 * The registry's policy in one table: which change a supervising unit may request, who decides it, from which
 * statuses and to which; who handles complaints and who sees them; which institutions take new cases.
 * Commands and resolvers ask here; no rule is repeated elsewhere.
 */
import { forbidden, institutionNotActive, invalidTransition } from '../../kit/errors.js';
import type { Principal, Role } from '../../kit/principal.js';

export type InstitutionStatus = 'PENDING' | 'ACTIVE' | 'SUSPENDED' | 'CLOSED';
export type ChangeKind = 'ONBOARD' | 'CLOSE' | 'SUSPEND' | 'REINSTATE' | 'UPDATE_DETAILS';

/**
 * `NEW` stands for an institution not yet in the registry. `details`: what the request proposes — `new` (the full
 * details of a new institution, optional for a PENDING one already recorded), `patch` (the fields to change), `none`.
 */
export interface ChangeRule {
  kind: ChangeKind;
  requestedBy: Role;
  decidedBy: Role;
  from: readonly (InstitutionStatus | 'NEW')[];
  /** `same` keeps the status (a change of details). */
  to: InstitutionStatus | 'same';
  details: 'new' | 'patch' | 'none';
}

export const CHANGE_RULES: readonly ChangeRule[] = [
  {
    kind: 'ONBOARD',
    requestedBy: 'supervisor',
    decidedBy: 'admin',
    from: ['NEW', 'PENDING'],
    to: 'ACTIVE',
    details: 'new',
  },
  {
    kind: 'UPDATE_DETAILS',
    requestedBy: 'supervisor',
    decidedBy: 'admin',
    from: ['PENDING', 'ACTIVE', 'SUSPENDED'],
    to: 'same',
    details: 'patch',
  },
  {
    kind: 'SUSPEND',
    requestedBy: 'supervisor',
    decidedBy: 'admin',
    from: ['ACTIVE'],
    to: 'SUSPENDED',
    details: 'none',
  },
  {
    kind: 'REINSTATE',
    requestedBy: 'supervisor',
    decidedBy: 'admin',
    from: ['SUSPENDED'],
    to: 'ACTIVE',
    details: 'none',
  },
  {
    kind: 'CLOSE',
    requestedBy: 'supervisor',
    decidedBy: 'admin',
    from: ['PENDING', 'ACTIVE', 'SUSPENDED'],
    to: 'CLOSED',
    details: 'none',
  },
];

/** Only these statuses receive new dispatches and referrals. */
export const TAKES_NEW_CASES: readonly InstitutionStatus[] = ['ACTIVE'];

/** Complaints: any authenticated principal files one; the institution's supervising unit resolves it. */
export const COMPLAINT_RESOLVER: Role = 'supervisor';

/** Who sees an institution's oversight data (open complaints, change requests, complaints): its unit and the admin. */
export const OVERSIGHT_ROLE: Role = 'admin';

const RULES = new Map(CHANGE_RULES.map((r) => [r.kind, r]));

export function changeRule(kind: ChangeKind): ChangeRule {
  return RULES.get(kind)!;
}

interface Managed {
  id: string;
  status: string;
  supervisingUnitId: string | null;
}

/** True when the principal is the supervising unit that manages this institution. */
export function isSupervisingUnitOf(principal: Principal, institution: Managed): boolean {
  return (
    principal.role === 'supervisor' &&
    institution.supervisingUnitId !== null &&
    principal.org === institution.supervisingUnitId
  );
}

export function mayOversee(principal: Principal, institution: Managed): boolean {
  return principal.role === OVERSIGHT_ROLE || isSupervisingUnitOf(principal, institution);
}

/** A dispatch needs the target's own supervising unit; the refusal says nothing about the institution. */
export function authorizeDispatch(principal: Principal, institution: Managed): void {
  if (!isSupervisingUnitOf(principal, institution))
    throw forbidden('reserveDispatch is allowed only to the supervising unit that manages the institution');
}

export function requireTakesNewCases(institution: Managed): void {
  if (!(TAKES_NEW_CASES as readonly string[]).includes(institution.status)) {
    throw institutionNotActive(institution.id, institution.status);
  }
}

/** The role check of a request; the relation to the institution is checked once it is read. */
export function authorizeRequest(rule: ChangeRule, principal: Principal): void {
  if (principal.role !== rule.requestedBy)
    throw forbidden(`requestInstitutionChange (${rule.kind}) needs role ${rule.requestedBy}`);
}

export function authorizeRequestOn(rule: ChangeRule, principal: Principal, institution: Managed): void {
  if (!isSupervisingUnitOf(principal, institution))
    throw forbidden(
      `requestInstitutionChange (${rule.kind}) is allowed only to the supervising unit that manages the institution`,
    );
}

/** A new institution is onboarded under the requesting unit itself, which must be an active supervising unit. */
export function authorizeOnboardUnder(unit: { kind: string; status: string } | undefined): void {
  if (!unit || unit.kind !== 'SUPERVISING_UNIT' || unit.status !== 'ACTIVE') {
    throw forbidden('only an active supervising unit may onboard institutions, under itself');
  }
}

export function authorizeDecision(rule: ChangeRule | null, principal: Principal): void {
  const role = rule?.decidedBy ?? 'admin';
  if (principal.role !== role) throw forbidden(`decideInstitutionChange needs role ${role}`);
}

/** Refuses a change the institution's current status does not allow (at request and again at approval). */
export function requireChangeFrom(
  rule: ChangeRule,
  current: InstitutionStatus | 'NEW',
  institutionId: string | null,
): void {
  if (!rule.from.includes(current)) {
    const subject = institutionId
      ? `institution ${institutionId} is ${current}`
      : 'the institution is not in the registry';
    throw invalidTransition(
      current,
      rule.kind,
      `cannot ${rule.kind}: ${subject} (${rule.kind} needs ${rule.from.join(' or ')})`,
    );
  }
}

export function authorizeComplaintResolution(principal: Principal, institution: Managed): void {
  if (!(principal.role === COMPLAINT_RESOLVER && isSupervisingUnitOf(principal, institution))) {
    throw forbidden('resolveComplaint is allowed only to the supervising unit that manages the institution');
  }
}

/** Which part of the history a principal may list: everything (admin), one unit's own (supervisor), or nothing. */
export function historyScope(
  principal: Principal,
  list: string,
  askedUnitId?: string | null,
): { supervisingUnitId?: string } {
  if (principal.role === OVERSIGHT_ROLE) return askedUnitId ? { supervisingUnitId: askedUnitId } : {};
  if (principal.role === 'supervisor' && principal.org && (!askedUnitId || askedUnitId === principal.org))
    return { supervisingUnitId: principal.org };
  throw forbidden(`${list} is open to the admin and, for their own institutions, to supervising units`);
}

export function requireOversight(principal: Principal, institution: Managed, field: string): void {
  if (!mayOversee(principal, institution))
    throw forbidden(`${field} is visible only to the institution's supervising unit and the admin`);
}
