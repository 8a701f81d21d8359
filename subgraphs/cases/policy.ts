/**
 * The case lifecycle in one table: every action, who may take it, from which states, and where it leads.
 * Any move not in this table is refused with INVALID_TRANSITION naming the current state and the attempted move.
 */
import { forbidden, invalidTransition, moveNotAllowed, notFound } from '../../kit/errors.js';
import type { Principal, Role } from '../../kit/principal.js';
import type { CaseStatus } from '../../kit/reference-data.js';

export type Action =
  'SUBMIT' | 'DISPATCH' | 'DIVERT' | 'CONTACT_RESPONDENT' | 'ACCEPT' | 'REJECT' | 'CLOSE' | 'WITHDRAW';

/**
 * Whose record it must be: `intake` acts for the front door and windows; `dispatcher` is the supervising unit that
 * manages the case's current institution (the target's unit is checked by the registry); `assigned` is the
 * institution the case is assigned to.
 */
export type Relation = 'intake' | 'dispatcher' | 'assigned';

export interface Transition {
  action: Action;
  mutation: string;
  role: Role;
  relation: Relation;
  from: readonly CaseStatus[];
  /** The state reached; `same` keeps the state (a recorded contact), `outcome` is chosen by the closing input. */
  to: CaseStatus | 'same' | 'outcome';
  /** Refused once the respondent declined mediation: the case can then only be rejected or closed unresolved. */
  needsWillingRespondent?: boolean;
}

export const TRANSITIONS: readonly Transition[] = [
  { action: 'SUBMIT', mutation: 'submitCase', role: 'intake', relation: 'intake', from: [], to: 'SUBMITTED' },
  {
    action: 'DISPATCH',
    mutation: 'dispatchCase',
    role: 'supervisor',
    relation: 'dispatcher',
    from: ['SUBMITTED'],
    to: 'DISPATCHED',
  },
  {
    action: 'DIVERT',
    mutation: 'dispatchCase',
    role: 'supervisor',
    relation: 'dispatcher',
    from: ['DISPATCHED'],
    to: 'DISPATCHED',
  },
  {
    action: 'CONTACT_RESPONDENT',
    mutation: 'recordRespondentContact',
    role: 'institution',
    relation: 'assigned',
    from: ['DISPATCHED', 'ACCEPTED'],
    to: 'same',
  },
  {
    action: 'ACCEPT',
    mutation: 'acceptCase',
    role: 'institution',
    relation: 'assigned',
    from: ['DISPATCHED'],
    to: 'ACCEPTED',
    needsWillingRespondent: true,
  },
  {
    action: 'REJECT',
    mutation: 'rejectCase',
    role: 'institution',
    relation: 'assigned',
    from: ['DISPATCHED'],
    to: 'REJECTED',
  },
  {
    action: 'CLOSE',
    mutation: 'closeCase',
    role: 'institution',
    relation: 'assigned',
    from: ['ACCEPTED'],
    to: 'outcome',
  },
  {
    action: 'WITHDRAW',
    mutation: 'withdrawCase',
    role: 'intake',
    relation: 'intake',
    from: ['SUBMITTED', 'DISPATCHED', 'ACCEPTED'],
    to: 'WITHDRAWN',
  },
];

const BY_ACTION = new Map(TRANSITIONS.map((t) => [t.action, t]));

export function transitionOf(action: Action): Transition {
  return BY_ACTION.get(action)!;
}

export interface CaseRef {
  id: string;
  status: string;
  institutionId: string | null;
  supervisingUnitId: string | null;
}

/**
 * Refuses a principal who may not take this action on this case. The wrong role is FORBIDDEN, before any case is
 * read; someone else's case answers exactly as a missing one (NOT_FOUND), so a refusal tells nobody it exists.
 */
export function authorize(transition: Transition, principal: Principal, record: CaseRef | null): void {
  const refuse = () => notFound('case');
  if (principal.role !== transition.role) throw forbidden(`${transition.mutation} needs role ${transition.role}`);
  if (!record || transition.relation === 'intake') return;
  if (transition.relation === 'assigned' && record.institutionId !== principal.org) throw refuse();
  // A supervisor re-dispatches only cases its own institutions hold; a first dispatch is open to any unit,
  // and the registry checks that the target is one of its own.
  if (
    transition.relation === 'dispatcher' &&
    record.supervisingUnitId !== null &&
    record.supervisingUnitId !== principal.org
  )
    throw refuse();
}

/** The state a legal move leads to; anything else is INVALID_TRANSITION. */
export function nextStatus(
  transition: Transition,
  current: string,
  outcome?: CaseStatus,
  respondentWilling?: boolean | null,
): CaseStatus {
  if (!(transition.from as readonly string[]).includes(current)) {
    throw moveNotAllowed('case', current, transition.action, transition.mutation, transition.from);
  }
  if (
    respondentWilling === false &&
    (transition.needsWillingRespondent || (transition.action === 'CLOSE' && outcome === 'RESOLVED'))
  ) {
    throw invalidTransition(
      current,
      transition.action,
      `the respondent declined mediation: the case can only be rejected or closed UNRESOLVED (attempted ${transition.action})`,
    );
  }
  if (transition.to === 'same') return current as CaseStatus;
  if (transition.to === 'outcome') return outcome!;
  return transition.to;
}

/** The action a dispatch is: the first one, or a diversion of a case already dispatched. */
export function dispatchAction(current: string): Action {
  return current === 'DISPATCHED' ? 'DIVERT' : 'DISPATCH';
}
