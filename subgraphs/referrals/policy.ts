/**
 * The referral policy in one module: which kind of referral a case may get (its closed status, the target's kind,
 * the results a decision may carry) and the referral lifecycle (each move, who takes it, from which states).
 * Any move not in these tables is refused with INVALID_TRANSITION naming the current state and the attempted move.
 */
import { badInput, forbidden, invalidTransition, moveNotAllowed, notFound } from '../../kit/errors.js';
import type { Principal, Role } from '../../kit/principal.js';
import type { CaseStatus, InstitutionKind } from '../../kit/reference-data.js';

export type ReferralKind =
  'JUDICIAL_CONFIRMATION' | 'ARBITRATION_CONFIRMATION' | 'ARBITRATION_APPLICATION' | 'LITIGATION';
export type ReferralStatus = 'SUBMITTED' | 'ACCEPTED' | 'DECLINED' | 'DECIDED';
export type ReferralResult = 'CONFIRMED' | 'NOT_CONFIRMED' | 'AWARD_MADE' | 'SETTLED' | 'JUDGMENT' | 'WITHDRAWN';

export interface KindRule {
  /** The closed status the case must be in (Shanghai measures, Arts. 12-13: confirmation after an agreement, arbitration or litigation after a failure). */
  caseStatus: CaseStatus;
  /** The institution kinds that may receive it. */
  targetKinds: readonly InstitutionKind[];
  /** Who asks: the institution the case is assigned to. */
  requester: Role;
  /** Who moves it after submission: this role, acting for the target (`org` = target id). */
  handler: Role;
  /** Results a decision may carry. */
  results: readonly ReferralResult[];
  /** Whether the parties' arbitration agreement (made before or after the dispute) must be recorded. */
  needsArbitrationAgreement: boolean;
  /** A decision with one of these results confirms the mediated agreement (`Case.outcomeConfirmed`). */
  confirming: readonly ReferralResult[];
}

const COMMISSIONS: readonly InstitutionKind[] = ['COMMERCIAL_ARBITRATION', 'LABOUR_ARBITRATION'];

export const KINDS: Readonly<Record<ReferralKind, KindRule>> = {
  JUDICIAL_CONFIRMATION: {
    caseStatus: 'RESOLVED',
    targetKinds: ['COURT'],
    requester: 'institution',
    handler: 'court',
    results: ['CONFIRMED', 'NOT_CONFIRMED'],
    needsArbitrationAgreement: false,
    confirming: ['CONFIRMED'],
  },
  ARBITRATION_CONFIRMATION: {
    caseStatus: 'RESOLVED',
    targetKinds: COMMISSIONS,
    requester: 'institution',
    handler: 'arbitration',
    results: ['CONFIRMED', 'NOT_CONFIRMED'],
    needsArbitrationAgreement: false,
    confirming: ['CONFIRMED'],
  },
  ARBITRATION_APPLICATION: {
    caseStatus: 'UNRESOLVED',
    targetKinds: COMMISSIONS,
    requester: 'institution',
    handler: 'arbitration',
    results: ['AWARD_MADE', 'SETTLED', 'WITHDRAWN'],
    needsArbitrationAgreement: true,
    confirming: [],
  },
  LITIGATION: {
    caseStatus: 'UNRESOLVED',
    targetKinds: ['COURT'],
    requester: 'institution',
    handler: 'court',
    results: ['JUDGMENT', 'SETTLED', 'WITHDRAWN'],
    needsArbitrationAgreement: false,
    confirming: [],
  },
};

export type Action = 'REQUEST' | 'ACCEPT' | 'DECLINE' | 'DECIDE';

export interface Transition {
  action: Action;
  mutation: string;
  /** `requester`: the kind's requester role, for the case's assigned institution; `target`: the kind's handler role, for the target. */
  actor: 'requester' | 'target';
  from: readonly ReferralStatus[];
  to: ReferralStatus;
}

export const TRANSITIONS: readonly Transition[] = [
  { action: 'REQUEST', mutation: 'requestReferral', actor: 'requester', from: [], to: 'SUBMITTED' },
  { action: 'ACCEPT', mutation: 'acceptReferral', actor: 'target', from: ['SUBMITTED'], to: 'ACCEPTED' },
  { action: 'DECLINE', mutation: 'declineReferral', actor: 'target', from: ['SUBMITTED'], to: 'DECLINED' },
  { action: 'DECIDE', mutation: 'decideReferral', actor: 'target', from: ['ACCEPTED'], to: 'DECIDED' },
];

/** A referral still in the target's hands: a case has at most one at a time (a unique index holds it). */
export const OPEN_STATUSES: readonly ReferralStatus[] = ['SUBMITTED', 'ACCEPTED'];

const BY_ACTION = new Map(TRANSITIONS.map((t) => [t.action, t]));

export function transitionOf(action: Action): Transition {
  return BY_ACTION.get(action)!;
}

export function kindRule(kind: string): KindRule {
  const rule = KINDS[kind as ReferralKind];
  if (!rule) throw badInput('kind', `must be one of ${Object.keys(KINDS).join(', ')}`);
  return rule;
}

/**
 * Refuses a principal who may not take this move. `org` is the organisation the move is for: the case's assigned
 * institution for a request, the referral's target afterwards. The message says nothing about the record.
 */
export function authorize(transition: Transition, rule: KindRule, principal: Principal, org: string | null): void {
  const role = transition.actor === 'requester' ? rule.requester : rule.handler;
  if (principal.role === role && (org === null || principal.org === org)) return;
  // Once a record is in hand (`org` given), any refusal answers exactly as a missing record: it tells nobody the
  // case or referral exists, nor its kind. The role alone is checked before anything is looked up.
  if (org !== null) throw notFound(transition.actor === 'requester' ? 'case' : 'referral');
  throw forbidden(`${transition.mutation} needs role ${role}`);
}

/** The role a principal needs before anything is looked up, for a move whose kind is not known yet. */
export function rolesFor(transition: Transition): Set<Role> {
  return new Set(Object.values(KINDS).map((k) => (transition.actor === 'requester' ? k.requester : k.handler)));
}

/** The state a legal move leads to; anything else is INVALID_TRANSITION. */
export function nextStatus(transition: Transition, current: string): ReferralStatus {
  if (!(transition.from as readonly string[]).includes(current)) {
    throw moveNotAllowed('referral', current, transition.action, transition.mutation, transition.from);
  }
  return transition.to;
}

/** Refuses a case whose status does not allow this kind of referral. */
export function checkCaseStatus(kind: ReferralKind, caseStatus: string): void {
  const rule = KINDS[kind];
  if (caseStatus !== rule.caseStatus) {
    throw invalidTransition(
      caseStatus,
      `REQUEST ${kind}`,
      `cannot request ${kind} for a case that is ${caseStatus} (it needs a case closed ${rule.caseStatus})`,
    );
  }
}

/** Refuses a target that is not an active institution of a kind this referral goes to. */
export function checkTarget(kind: ReferralKind, target: { kind: string; status: string } | null): void {
  const rule = KINDS[kind];
  if (!target) throw badInput('targetId', 'no such institution');
  if (!(rule.targetKinds as readonly string[]).includes(target.kind)) {
    throw badInput('targetId', `${kind} goes to ${rule.targetKinds.join(' or ')}, not to ${target.kind}`);
  }
  if (target.status !== 'ACTIVE') throw badInput('targetId', `the target institution is ${target.status}, not ACTIVE`);
}

export function checkArbitrationAgreement(kind: ReferralKind, agreement: string | null | undefined): string | null {
  const rule = KINDS[kind];
  if (rule.needsArbitrationAgreement && !agreement)
    throw badInput(
      'arbitrationAgreement',
      `${kind} needs the parties' arbitration agreement (BEFORE_DISPUTE or AFTER_DISPUTE)`,
    );
  if (!rule.needsArbitrationAgreement && agreement)
    throw badInput(
      'arbitrationAgreement',
      `only ARBITRATION_APPLICATION records an arbitration agreement, not ${kind}`,
    );
  return agreement ?? null;
}

export function checkResult(kind: ReferralKind, result: string): ReferralResult {
  const rule = KINDS[kind];
  if (!(rule.results as readonly string[]).includes(result))
    throw badInput('result', `a ${kind} is decided ${rule.results.join(', ')}, not ${result}`);
  return result as ReferralResult;
}

export function confirmsAgreement(kind: string, result: string | null): boolean {
  const rule = KINDS[kind as ReferralKind];
  return !!rule && result !== null && (rule.confirming as readonly string[]).includes(result);
}
