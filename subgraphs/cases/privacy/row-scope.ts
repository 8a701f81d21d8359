/**
 * Which cases a principal gets as rows: its own work (CASE_ROWS in kit/figure-access.ts) and the scopes of the
 * consent grants it holds. Everything else it sees only as figures, protected by statistics/disclosure.ts, so a
 * listing, a lookup by number or a reference from another office cannot count a protected cell. Applied to every way
 * a case row is reached: `cases` and `Institution.cases` (as SQL, `restrictToRows` in store.ts), `case(id)` and
 * `Case` references (per record, `visible`).
 */
import type DataLoader from 'dataloader';
import type { Principal } from '../../../kit/principal.js';
import { CASE_ROWS } from '../../../kit/figure-access.js';
import { scopeCovers, type Grant } from './policy.js';
import type { GrantStore } from './grants.js';

/** A case's columns the rule reads. */
export interface RowFacts {
  id: string;
  district: string;
  institutionId: string | null;
  supervisingUnitId: string | null;
  submittedBy: string | null;
}

/** The rows a principal may list: every case, or the cases of its own work (a column's value) and its grants' scopes. */
export type RowScope =
  | { every: true }
  | {
      every: false;
      own: { column: 'institution_id' | 'supervising_unit_id' | 'submitted_by'; value: string } | null;
      grants: Grant[];
    };

/** One request's row rule: the grants are read once, and only for a principal that does not see every case. */
export class CaseRowAccess {
  private grants?: Promise<Grant[]>;

  constructor(
    readonly principal: Principal,
    private readonly deps: { grants: GrantStore; referredTo: DataLoader<string, string[]> },
  ) {}

  private activeGrants(): Promise<Grant[]> {
    return (this.grants ??= this.deps.grants.activeFor(this.principal.sub));
  }

  private ownColumn(): Extract<RowScope, { every: false }>['own'] {
    const { org, sub } = this.principal;
    switch (CASE_ROWS[this.principal.role]) {
      case 'cases assigned to it':
        return org ? { column: 'institution_id', value: org } : null;
      case 'cases it dispatched':
        return org ? { column: 'supervising_unit_id', value: org } : null;
      case 'cases it received':
        return { column: 'submitted_by', value: sub };
      default:
        return null;
    }
  }

  /** The scope as a listing applies it. Cases referred to a court or commission are reached per record, not listed. */
  async scope(): Promise<RowScope> {
    if (CASE_ROWS[this.principal.role] === 'every case') return { every: true };
    return { every: false, own: this.ownColumn(), grants: await this.activeGrants() };
  }

  /** May the principal see this case as a row? */
  async visible(record: RowFacts): Promise<boolean> {
    const rows = CASE_ROWS[this.principal.role];
    if (rows === 'every case') return true;
    const own = this.ownColumn();
    if (own) {
      const value =
        own.column === 'institution_id'
          ? record.institutionId
          : own.column === 'supervising_unit_id'
            ? record.supervisingUnitId
            : record.submittedBy;
      if (value === own.value) return true;
    }
    if (
      rows === 'cases referred to it' &&
      this.principal.org &&
      (await this.deps.referredTo.load(record.id)).includes(this.principal.org)
    )
      return true;
    return (await this.activeGrants()).some((g) => scopeCovers(g, record));
  }
}
