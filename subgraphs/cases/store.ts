/** Reads of the cases store. Every function takes many keys at once, so loaders can batch into one statement. */
import type { Knex } from '../../kit/store.js';
import { toIso } from '../../kit/scalars.js';
import { badInput } from '../../kit/errors.js';
import { DISTRICTS } from '../../kit/reference-data.js';
import type { PageWindow } from '../../kit/connection.js';
import { groupBy } from '../../kit/loaders.js';
import { pageOf, pagesPerParent } from '../../kit/keyset.js';
import type { SearchScope } from './privacy/ledger.js';
import type { RowScope } from './privacy/row-scope.js';
import type { Grant } from './privacy/policy.js';
import { addToParts, exactPartSql, noParts, type FigureParts, type FigurePolicy } from './statistics/disclosure.js';

export interface CaseFilter {
  status?: string | null;
  category?: string | null;
  institutionId?: string | null;
  district?: string | null;
  submittedFrom?: string | null;
  submittedTo?: string | null;
  overdue?: boolean | null;
  partyName?: string | null;
  partyIdNumber?: string | null;
  /** Set by the resolver when the filter searches party data: only cases the principal may see in clear. */
  visibleTo?: SearchScope[];
  /** Set by the resolver for a listing: only the cases the principal gets as rows (privacy/row-scope.ts). */
  rows?: RowScope;
}

export interface CaseRecord {
  seq: number;
  id: string;
  status: string;
  category: string;
  channel: string;
  district: string;
  externalRef: string | null;
  submittedAt: string;
  dispatchedAt: string | null;
  acceptedAt: string | null;
  closedAt: string | null;
  occurredAt: string | null;
  place: string | null;
  claims: string | null;
  description: string | null;
  agreementSubject: string | null;
  remedies: string | null;
  rejectionReason: string | null;
  institutionId: string | null;
  supervisingUnitId: string | null;
  respondentContactedAt: string | null;
  respondentWilling: boolean | null;
  version: number;
  /** The secret record key of the cell-key method (statistics/disclosure.ts): never part of any answer. */
  recordKey: number;
  /** The subject of the principal that submitted the case. */
  submittedBy: string | null;
}

export interface PartyRecord {
  id: number;
  caseSeq: number;
  role: string;
  kind: string;
  name: string;
  idNumber: string | null;
  phone: string | null;
  email: string | null;
  address: string | null;
}

export interface CaseEventRecord {
  caseSeq: number;
  at: string;
  action: string;
  actor: string;
  actorRole: string;
  fromStatus: string | null;
  toStatus: string;
  reason: string | null;
}

type Row = Record<string, any>;

/** A party's row in the `parties` table, as every writer of cases stores it. */
export function partyRow(
  caseSeq: number,
  p: Pick<PartyRecord, 'role' | 'kind' | 'name' | 'idNumber'> &
    Partial<Pick<PartyRecord, 'phone' | 'email' | 'address'>>,
): Record<string, unknown> {
  return {
    case_seq: caseSeq,
    role: p.role,
    kind: p.kind,
    name: p.name,
    id_number: p.idNumber,
    phone: p.phone,
    email: p.email,
    address: p.address,
  };
}

export function toCase(row: Row): CaseRecord {
  return {
    seq: Number(row.seq),
    id: row.id,
    status: row.status,
    category: row.category,
    channel: row.channel,
    district: row.district,
    externalRef: row.external_ref,
    submittedAt: toIso(row.submitted_at)!,
    dispatchedAt: toIso(row.dispatched_at),
    acceptedAt: toIso(row.accepted_at),
    closedAt: toIso(row.closed_at),
    occurredAt: toIso(row.occurred_at),
    place: row.place,
    claims: row.claims,
    description: row.description,
    agreementSubject: row.agreement_subject,
    remedies: row.remedies,
    rejectionReason: row.rejection_reason,
    institutionId: row.institution_id,
    supervisingUnitId: row.supervising_unit_id,
    respondentContactedAt: toIso(row.respondent_contacted_at),
    respondentWilling:
      row.respondent_willing === null || row.respondent_willing === undefined ? null : Boolean(row.respondent_willing),
    version: Number(row.version),
    recordKey: Number(row.record_key ?? 0),
    submittedBy: row.submitted_by ?? null,
  };
}

/** Validates a filter before any statement runs; errors name the offending field. */
export function checkCaseFilter(filter: CaseFilter | null | undefined, path = 'filter'): CaseFilter {
  const f = filter ?? {};
  if (f.district != null && !(f.district in DISTRICTS))
    throw badInput(`${path}.district`, 'not a district code (e.g. 310104 for Xuhui)');
  if (f.submittedFrom && f.submittedTo && f.submittedFrom > f.submittedTo) {
    throw badInput(`${path}.submittedFrom`, 'is after submittedTo');
  }
  return f;
}

/** Running deadlines past due, through the (met_at, due_at) index. */
function overdueCases(knex: Knex, now: Date): Knex.QueryBuilder {
  return knex('case_deadlines').select('case_seq').whereNull('met_at').where('due_at', '<', now.toISOString());
}

function applyFilter(query: Knex.QueryBuilder, f: CaseFilter, knex: Knex, now: Date): Knex.QueryBuilder {
  if (f.status) query.where('status', f.status);
  if (f.category) query.where('category', f.category);
  if (f.institutionId) query.where('institution_id', f.institutionId);
  if (f.district) query.where('district', f.district);
  if (f.submittedFrom) query.where('submitted_at', '>=', f.submittedFrom);
  if (f.submittedTo) query.where('submitted_at', '<', f.submittedTo);
  if (f.overdue === true) query.whereIn('seq', overdueCases(knex, now));
  if (f.overdue === false) query.whereNotIn('seq', overdueCases(knex, now));
  if (f.partyName) query.whereIn('seq', knex('parties').select('case_seq').where('name', f.partyName.trim()));
  if (f.partyIdNumber)
    query.whereIn('seq', knex('parties').select('case_seq').where('id_number', f.partyIdNumber.trim().toUpperCase()));
  for (const scope of f.visibleTo ?? []) restrictTo(query, scope);
  if (f.rows && !f.rows.every) restrictToRows(query, f.rows);
  return query;
}

/** Narrows a listing to the principal's rows: its own work or a grant's scope. */
function restrictToRows(query: Knex.QueryBuilder, rows: Extract<RowScope, { every: false }>): void {
  query.where((any) => {
    if (rows.own) any.orWhere(rows.own.column, rows.own.value);
    orInGrantScopes(any, rows.grants);
    if (!rows.own && rows.grants.length === 0) any.whereRaw('1 = 0');
  });
}

/** Narrows a query to the cases a search scope covers (its own handled cases, or its grants' scopes). */
function restrictTo(query: Knex.QueryBuilder, scope: SearchScope): void {
  switch (scope.kind) {
    case 'institution':
      query.where('institution_id', scope.org);
      return;
    case 'supervising unit':
      query.where('supervising_unit_id', scope.org);
      return;
    case 'grants':
      query.where((any) => {
        orInGrantScopes(any, scope.grants);
      });
  }
}

/** Adds "or in this grant's scope" for each grant (empty scope fields do not narrow: scopeCovers in privacy/policy.ts, as SQL). */
function orInGrantScopes(any: Knex.QueryBuilder, grants: readonly Grant[]): void {
  for (const g of grants) {
    any.orWhere((one) => {
      if (g.scopeInstitutionId) one.where('institution_id', g.scopeInstitutionId);
      if (g.scopeDistrict) one.where('district', g.scopeDistrict);
      if (g.scopeCaseId) one.where('id', g.scopeCaseId);
      if (!g.scopeInstitutionId && !g.scopeDistrict && !g.scopeCaseId) one.whereRaw('1 = 1');
    });
  }
}

export interface DeadlineRecord {
  caseSeq: number;
  rule: string;
  startedAt: string;
  dueAt: string;
  metAt: string | null;
}

export class CaseStore {
  constructor(
    readonly knex: Knex,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private filtered(filter: CaseFilter): Knex.QueryBuilder {
    return applyFilter(this.knex('cases'), filter, this.knex, this.clock());
  }

  async byIds(ids: readonly string[]): Promise<CaseRecord[]> {
    const rows = await this.knex('cases').whereIn('id', ids as string[]);
    return rows.map(toCase);
  }

  /** Newest first: keyset on `seq` descending. */
  async list(filter: CaseFilter, window: PageWindow): Promise<CaseRecord[]> {
    return (await pageOf(this.filtered(filter), window, 'desc')).map(toCase);
  }

  /** The filter's cases as a figure's parts under a principal's figure policy: its exact part, and the rest with its key sum. */
  async countParts(filter: CaseFilter, policy: FigurePolicy): Promise<FigureParts> {
    const parts = noParts();
    for (const row of await this.partsQuery(this.filtered(filter), policy))
      addToParts(parts, row.exact_part, Number(row.n), Number(row.k ?? 0));
    return parts;
  }

  /** The same, for each of many institutions, in one statement. */
  async countPartsForInstitutions(
    institutionIds: readonly string[],
    filter: CaseFilter,
    policy: FigurePolicy,
  ): Promise<Map<string, FigureParts>> {
    const query = this.partsQuery(this.filtered(filter).whereIn('institution_id', institutionIds as string[]), policy)
      .select('institution_id')
      .groupBy('institution_id');
    const result = new Map<string, FigureParts>();
    for (const row of await query) {
      const id = String(row.institution_id);
      if (!result.has(id)) result.set(id, noParts());
      addToParts(result.get(id)!, row.exact_part, Number(row.n), Number(row.k ?? 0));
    }
    return result;
  }

  private partsQuery(query: Knex.QueryBuilder, policy: FigurePolicy): Knex.QueryBuilder {
    const part = exactPartSql(policy, 'cases');
    query
      .select(this.knex.raw(`${part.sql} as exact_part`, part.bindings))
      .count({ n: '*' })
      .sum({ k: 'record_key' });
    // Grouped by the flag's name: PostgreSQL does not take two bound copies of an expression for the same one.
    if (typeof policy.exact === 'object') query.groupBy('exact_part');
    return query;
  }

  /** One page of cases for each of many institutions, in one statement. */
  async pageForInstitutions(
    institutionIds: readonly string[],
    filter: CaseFilter,
    window: PageWindow,
  ): Promise<Map<string, CaseRecord[]>> {
    const query = this.filtered(filter).whereIn('institution_id', institutionIds as string[]);
    const rows = await pagesPerParent(this.knex, query, 'institution_id', window, 'desc');
    return groupBy(rows.map(toCase), (c) => c.institutionId!);
  }

  async partiesOf(caseSeqs: readonly number[]): Promise<Map<number, PartyRecord[]>> {
    const rows = await this.knex('parties')
      .whereIn('case_seq', caseSeqs as number[])
      .orderBy('id');
    return groupBy(
      rows.map((r: Row): PartyRecord => ({
        id: Number(r.id),
        caseSeq: Number(r.case_seq),
        role: r.role,
        kind: r.kind,
        name: r.name,
        idNumber: r.id_number,
        phone: r.phone,
        email: r.email,
        address: r.address,
      })),
      (p) => p.caseSeq,
    );
  }

  async deadlinesOf(caseSeqs: readonly number[]): Promise<Map<number, DeadlineRecord[]>> {
    const rows = await this.knex('case_deadlines')
      .whereIn('case_seq', caseSeqs as number[])
      .orderBy('id');
    return groupBy(
      rows.map((r: Row): DeadlineRecord => ({
        caseSeq: Number(r.case_seq),
        rule: r.rule,
        startedAt: toIso(r.started_at)!,
        dueAt: toIso(r.due_at)!,
        metAt: toIso(r.met_at),
      })),
      (d) => d.caseSeq,
    );
  }

  async eventsOf(caseSeqs: readonly number[]): Promise<Map<number, CaseEventRecord[]>> {
    const rows = await this.knex('case_events')
      .whereIn('case_seq', caseSeqs as number[])
      .orderBy('id');
    return groupBy(
      rows.map((r: Row): CaseEventRecord => ({
        caseSeq: Number(r.case_seq),
        at: toIso(r.at)!,
        action: r.action,
        actor: r.actor,
        actorRole: r.actor_role,
        fromStatus: r.from_status,
        toStatus: r.to_status,
        reason: r.reason,
      })),
      (e) => e.caseSeq,
    );
  }
}
