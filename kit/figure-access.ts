/**
 * Who sees which case figures exactly, and which case rows, in two tables (Shanghai measures: Article 23 shares data
 * for statistics, early warning and trend analysis, never to identify a party; Articles 3, 15 and 21 make the justice
 * bureau, which runs the platform, assess it). Party data stays under CLEAR_ACCESS (kit/privacy.ts) whatever these say.
 * The cases subgraph applies both: figures in statistics/disclosure.ts, rows in privacy/row-scope.ts.
 */
import type { Principal } from './principal.js';

/**
 * - `exact`: every figure exact, city-wide.
 * - `exact for own cases`: figures of the cases the principal handles exact (an institution: the cases assigned to
 *   it; a supervising unit: the cases it dispatched); the rest of a figure perturbed as for everyone else.
 * - `perturbed`: every figure protected by the cell-key method.
 */
export type FigureAccess = 'exact' | 'exact for own cases' | 'perturbed';

export const FIGURE_ACCESS: Readonly<Record<Principal['role'], FigureAccess>> = {
  admin: 'exact',
  institution: 'exact for own cases',
  supervisor: 'exact for own cases',
  intake: 'perturbed',
  analyst: 'perturbed',
  steward: 'perturbed',
  court: 'perturbed',
  arbitration: 'perturbed',
  public: 'perturbed',
};

/**
 * Which cases a principal gets as rows (`cases`, `case`, `Institution.cases`, references from other offices): its own
 * work, plus every case in the scope of a consent grant it holds. Outside them it gets figures only (`totalCount`,
 * `caseStats`), so a listing cannot count a protected cell.
 */
export type CaseRows =
  | 'every case'
  | 'cases assigned to it'
  | 'cases it dispatched'
  | 'cases referred to it'
  | 'cases it received'
  | 'none of its own';

export const CASE_ROWS: Readonly<Record<Principal['role'], CaseRows>> = {
  admin: 'every case',
  institution: 'cases assigned to it',
  supervisor: 'cases it dispatched',
  court: 'cases referred to it',
  arbitration: 'cases referred to it',
  intake: 'cases it received',
  analyst: 'none of its own',
  steward: 'none of its own',
  public: 'none of its own',
};
