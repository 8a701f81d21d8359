/** Reads of the cases store. Every function takes many keys at once, so loaders can batch into one statement. */
import type { Knex } from '../../kit/store.js';
import { toIso } from '../../kit/scalars.js';
import { badInput } from '../../kit/errors.js';
import { DISTRICTS } from '../../kit/reference-data.js';
import type { PageWindow } from '../../kit/connection.js';
import { groupBy } from '../../kit/loaders.js';
import { countsPerParent, pageOf, pagesPerParent } from '../../kit/keyset.js';
import type { SearchScope } from './privacy/ledger.js';

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
    respondentWilling: row.respondent_willing === null || row.respondent_willing === undefined ? null : Boolean(row.respondent_willing),
    version: Number(row.version),
  };
}

/** Validates a filter before any statement runs; errors name the offending field. */
export function checkCaseFilter(filter: CaseFilter | null | undefined, path = 'filter'): CaseFilter {
  const f = filter ?? {};
  if (f.district != null && !(f.district in DISTRICTS)) throw badInput(`${path}.district`, 'not a district code (e.g. 310104 for Xuhui)');
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
  if (f.partyIdNumber) query.whereIn('seq', knex('parties').select('case_seq').where('id_number', f.partyIdNumber.trim().toUpperCase()));
  for (const scope of f.visibleTo ?? []) restrictTo(query, scope, knex);
  return query;
}

/** Narrows a query to the cases a search scope covers (its own handled cases, or its grants' scopes). */
function restrictTo(query: Knex.QueryBuilder, scope: SearchScope, knex: Knex): void {
  switch (scope.kind) {
    case 'institution': query.where('institution_id', scope.org); return;
    case 'supervising unit': query.where('supervising_unit_id', scope.org); return;
    case 'grants':
      query.where((any) => {
        for (const g of scope.grants) {
          any.orWhere((one) => {
            if (g.scopeInstitutionId) one.where('institution_id', g.scopeInstitutionId);
            if (g.scopeDistrict) one.where('district', g.scopeDistrict);
            if (g.scopeCaseId) one.where('id', g.scopeCaseId);
            if (!g.scopeInstitutionId && !g.scopeDistrict && !g.scopeCaseId) one.whereRaw('1 = 1');
          });
        }
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
  constructor(readonly knex: Knex, private readonly clock: () => Date = () => new Date()) {}

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

  async count(filter: CaseFilter): Promise<number> {
    const [row] = await this.filtered(filter).count({ n: '*' });
    return Number(row?.n ?? 0);
  }

  /** One page of cases for each of many institutions, in one statement. */
  async pageForInstitutions(institutionIds: readonly string[], filter: CaseFilter, window: PageWindow): Promise<Map<string, CaseRecord[]>> {
    const query = this.filtered(filter).whereIn('institution_id', institutionIds as string[]);
    const rows = await pagesPerParent(this.knex, query, 'institution_id', window, 'desc');
    return groupBy(rows.map(toCase), (c) => c.institutionId!);
  }

  async countForInstitutions(institutionIds: readonly string[], filter: CaseFilter): Promise<Map<string, number>> {
    return countsPerParent(this.filtered(filter).whereIn('institution_id', institutionIds as string[]), 'institution_id');
  }

  async partiesOf(caseSeqs: readonly number[]): Promise<Map<number, PartyRecord[]>> {
    const rows = await this.knex('parties').whereIn('case_seq', caseSeqs as number[]).orderBy('id');
    return groupBy(
      rows.map((r: Row): PartyRecord => ({
        id: Number(r.id), caseSeq: Number(r.case_seq), role: r.role, kind: r.kind, name: r.name,
        idNumber: r.id_number, phone: r.phone, email: r.email, address: r.address,
      })),
      (p) => p.caseSeq,
    );
  }

  async deadlinesOf(caseSeqs: readonly number[]): Promise<Map<number, DeadlineRecord[]>> {
    const rows = await this.knex('case_deadlines').whereIn('case_seq', caseSeqs as number[]).orderBy('id');
    return groupBy(
      rows.map((r: Row): DeadlineRecord => ({ caseSeq: Number(r.case_seq), rule: r.rule, startedAt: toIso(r.started_at)!, dueAt: toIso(r.due_at)!, metAt: toIso(r.met_at) })),
      (d) => d.caseSeq,
    );
  }

  async eventsOf(caseSeqs: readonly number[]): Promise<Map<number, CaseEventRecord[]>> {
    const rows = await this.knex('case_events').whereIn('case_seq', caseSeqs as number[]).orderBy('id');
    return groupBy(
      rows.map((r: Row): CaseEventRecord => ({
        caseSeq: Number(r.case_seq), at: toIso(r.at)!, action: r.action, actor: r.actor, actorRole: r.actor_role,
        fromStatus: r.from_status, toStatus: r.to_status, reason: r.reason,
      })),
      (e) => e.caseSeq,
    );
  }
}
