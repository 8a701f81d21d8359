/**
 * One request's privacy decisions: which party data it may see (per record, by the policy table and the
 * principal's grants), what it saw in clear and what was withheld. The audit records and the response's
 * `extensions.redaction` counts come from here.
 */
import type DataLoader from 'dataloader';
import { forbidden } from '../../../kit/errors.js';
import type { Principal } from '../../../kit/principal.js';
import type { Disclosure, PiiCategory } from '../../../kit/privacy.js';
import type { AuditEntry } from './audit-log.js';
import type { GrantStore } from './grants.js';
import { CLEAR_ACCESS } from '../../../kit/privacy.js';
import { grantCovers, handles, scopingGrant, type CaseAccess, type Grant } from './policy.js';
import { OWN_CASES, OUTSIDE_SCOPES, grantScope } from './pseudonym.js';

/** Party and timeline objects carry their case, so the policy can decide for them. */
export function accessOf(parent: unknown): CaseAccess {
  const p = parent as { case?: CaseAccess } & CaseAccess;
  return p.case ?? p;
}

/**
 * Which cases a principal may search by party data: the cases it is assigned or supervises, or its grants' scopes.
 * Courts and commissions reach the cases referred to them through `Institution.referralsReceived`; a search by party
 * data across the registry needs a grant for them too.
 */
export type SearchScope =
  | { kind: 'institution'; org: string }
  | { kind: 'supervising unit'; org: string }
  | { kind: 'grants'; grants: Grant[] };

export class PrivacyLedger {
  private readonly clear = new Map<PiiCategory, Set<string>>();
  private readonly withheld = new Map<PiiCategory, number>();
  private readonly withheldCases = new Set<string>();
  private readonly denials: { categories: PiiCategory[]; detail: string }[] = [];
  private grants?: Promise<Grant[]>;
  /** The grants once read: later decisions of the request are then synchronous (no promise per field). */
  private grantsRead?: Grant[];

  constructor(
    readonly principal: Principal,
    private readonly deps: { grants: GrantStore; referredTo: DataLoader<string, string[]>; clock: () => Date },
  ) {}

  private activeGrants(): Promise<Grant[]> {
    return (this.grants ??= this.deps.grants
      .activeFor(this.principal.sub)
      .then((grants) => (this.grantsRead = grants)));
  }

  decide(category: PiiCategory, parent: unknown): boolean | Promise<boolean> {
    const record = accessOf(parent);
    const handling = CLEAR_ACCESS[this.principal.role];
    if (handling === 'referred court or commission') {
      return this.deps.referredTo
        .load(record.id)
        .then((orgs) => handles(this.principal, record, orgs) || this.byGrant(category, record));
    }
    if (handles(this.principal, record, [])) return true;
    return this.byGrant(category, record);
  }

  /**
   * The pseudonym scope of a party's case for this principal: its own cases (those it handles), else the oldest
   * grant in force whose scope takes the case in, else everything it sees no party data of.
   */
  pseudonymScope(parent: unknown): string | Promise<string> {
    const record = accessOf(parent);
    const scope = (handled: boolean): string | Promise<string> => {
      if (handled) return OWN_CASES;
      const ofGrants = (grants: Grant[]) => {
        const grant = scopingGrant(grants, record, this.deps.clock());
        return grant ? grantScope(grant.id) : OUTSIDE_SCOPES;
      };
      return this.grantsRead ? ofGrants(this.grantsRead) : this.activeGrants().then(ofGrants);
    };
    if (CLEAR_ACCESS[this.principal.role] === 'referred court or commission') {
      return this.deps.referredTo.load(record.id).then((orgs) => scope(handles(this.principal, record, orgs)));
    }
    return scope(handles(this.principal, record, []));
  }

  private byGrant(category: PiiCategory, record: CaseAccess): boolean | Promise<boolean> {
    if (this.grantsRead) return grantCovers(this.grantsRead, category, record, this.deps.clock());
    return this.activeGrants().then((grants) => grantCovers(grants, category, record, this.deps.clock()));
  }

  record(category: PiiCategory, parent: unknown, disclosure: Disclosure): void {
    const { id } = accessOf(parent);
    if (disclosure === 'CLEAR') {
      let ids = this.clear.get(category);
      if (!ids) this.clear.set(category, (ids = new Set()));
      ids.add(id);
    } else {
      this.withheld.set(category, (this.withheld.get(category) ?? 0) + 1);
      this.withheldCases.add(id);
    }
  }

  /**
   * A search by party data (a `@pii` filter): allowed only with clearance for its category, and then only over the
   * cases the principal may see in clear. Refused before anything is read, and the refusal is audited.
   */
  async searchScope(category: PiiCategory, field: string): Promise<SearchScope> {
    const { role, org } = this.principal;
    const handling = CLEAR_ACCESS[role];
    if (org && handling === 'assigned institution') return { kind: 'institution', org };
    if (org && handling === 'supervising unit') return { kind: 'supervising unit', org };
    const grants = (await this.activeGrants()).filter(
      (g) => g.categories.includes(category) && g.expiresAt > this.deps.clock().toISOString(),
    );
    if (grants.length) return { kind: 'grants', grants };
    this.denials.push({ categories: [category], detail: `filter ${field}` });
    throw forbidden(
      `${field}: searching by party data needs clearance for ${category} (a consent grant, or handling the case)`,
    );
  }

  /** `extensions.redaction` of the response: how many values of which categories were withheld. */
  redaction(): { withheld: Record<string, number> } | undefined {
    if (this.withheld.size === 0) return undefined;
    return { withheld: Object.fromEntries([...this.withheld].sort()) };
  }

  /** The audit records this request owes: clear reads, withheld values, refused searches. */
  entries(requestId: string, operation: string | null, documentHash: string | null): AuditEntry[] {
    const base = { requestId, principal: this.principal, operation, documentHash };
    const entries: AuditEntry[] = [];
    if (this.clear.size) {
      const caseIds = new Set<string>();
      for (const ids of this.clear.values()) for (const id of ids) caseIds.add(id);
      entries.push({ ...base, decision: 'CLEAR', categories: [...this.clear.keys()], caseIds: [...caseIds] });
    }
    if (this.withheld.size)
      entries.push({
        ...base,
        decision: 'WITHHELD',
        categories: [...this.withheld.keys()],
        caseIds: [...this.withheldCases],
      });
    for (const d of this.denials)
      entries.push({ ...base, decision: 'DENIED', categories: d.categories, caseIds: [], detail: d.detail });
    return entries;
  }
}
