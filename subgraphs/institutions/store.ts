/** Reads of the institutions registry. Every function takes many keys at once, so loaders batch into one statement. */
import type { Knex } from '../../kit/store.js';
import { toIso } from '../../kit/scalars.js';
import { badInput } from '../../kit/errors.js';
import { DISTRICTS } from '../../kit/reference-data.js';
import type { PageWindow } from '../../kit/connection.js';
import { groupBy } from '../../kit/loaders.js';
import { countsPerParent, pageOf, pagesPerParent } from '../../kit/keyset.js';
import { readGeneration } from '../../kit/generation.js';

export interface InstitutionFilter {
  district?: string | null;
  category?: string | null;
  kind?: string | null;
  status?: string | null;
  supervisingUnitId?: string | null;
  /** Set by the public directory: only listed institutions. */
  listedOnly?: boolean;
}

export interface InstitutionRecord {
  seq: number;
  id: string;
  name: string;
  kind: string;
  status: string;
  district: string;
  street: string | null;
  community: string | null;
  supervisingUnitId: string | null;
  liaison: { name: string; phone: string } | null;
  listed: boolean;
  createdAt: string;
  statusChangedAt: string;
}

type Row = Record<string, any>;

export function toInstitution(row: Row): InstitutionRecord {
  return {
    seq: Number(row.seq),
    id: row.id,
    name: row.name,
    kind: row.kind,
    status: row.status,
    district: row.district,
    street: row.street,
    community: row.community,
    supervisingUnitId: row.supervising_unit_id,
    liaison: row.liaison_name ? { name: row.liaison_name, phone: row.liaison_phone } : null,
    listed: Boolean(row.listed),
    createdAt: toIso(row.created_at)!,
    statusChangedAt: toIso(row.status_changed_at)!,
  };
}

export function checkInstitutionFilter(
  filter: InstitutionFilter | null | undefined,
  path = 'filter',
): InstitutionFilter {
  const f = filter ?? {};
  if (f.district != null && !(f.district in DISTRICTS))
    throw badInput(`${path}.district`, 'not a district code (e.g. 310104 for Xuhui)');
  return f;
}

/** Raised by every write of the registry (kit/generation.ts): its pages are kept under it (loaders.ts). */
export const REGISTRY_GENERATION = 'registry_generation';

export class InstitutionStore {
  constructor(readonly knex: Knex) {}

  /** The registry's generation now. */
  generation(): Promise<number> {
    return readGeneration(this.knex, REGISTRY_GENERATION);
  }

  private filtered(f: InstitutionFilter): Knex.QueryBuilder {
    const query = this.knex('institutions');
    if (f.district) query.where('district', f.district);
    if (f.kind) query.where('kind', f.kind);
    if (f.status) query.where('status', f.status);
    if (f.supervisingUnitId) query.where('supervising_unit_id', f.supervisingUnitId);
    if (f.listedOnly) query.where('listed', true);
    if (f.category) {
      query.whereIn('id', this.knex('institution_categories').select('institution_id').where('category', f.category));
    }
    return query;
  }

  async byIds(ids: readonly string[]): Promise<InstitutionRecord[]> {
    return (await this.knex('institutions').whereIn('id', ids as string[])).map(toInstitution);
  }

  /** Registry order: keyset on `seq` ascending. */
  async list(filter: InstitutionFilter, window: PageWindow): Promise<InstitutionRecord[]> {
    return (await pageOf(this.filtered(filter), window, 'asc')).map(toInstitution);
  }

  async count(filter: InstitutionFilter): Promise<number> {
    const [row] = await this.filtered(filter).count({ n: '*' });
    return Number(row?.n ?? 0);
  }

  /** One page of managed institutions for each of many supervising units, in one statement. */
  async pageManagedBy(unitIds: readonly string[], window: PageWindow): Promise<Map<string, InstitutionRecord[]>> {
    const query = this.knex('institutions').whereIn('supervising_unit_id', unitIds as string[]);
    const rows = await pagesPerParent(this.knex, query, 'supervising_unit_id', window, 'asc');
    return groupBy(rows.map(toInstitution), (i) => i.supervisingUnitId!);
  }

  async countManagedBy(unitIds: readonly string[]): Promise<Map<string, number>> {
    return countsPerParent(
      this.knex('institutions').whereIn('supervising_unit_id', unitIds as string[]),
      'supervising_unit_id',
    );
  }

  async categoriesOf(ids: readonly string[]): Promise<Map<string, string[]>> {
    const rows = await this.knex('institution_categories')
      .whereIn('institution_id', ids as string[])
      .orderBy(['institution_id', 'category']);
    const grouped = groupBy(rows as Row[], (r) => r.institution_id as string);
    return new Map([...grouped].map(([id, list]) => [id, list.map((r) => r.category as string)]));
  }
}

/** A written change request and, once decided, its decision. */
export interface ChangeRecord {
  seq: number;
  id: string;
  kind: string;
  status: string;
  institutionId: string | null;
  supervisingUnitId: string;
  reason: string;
  proposedDetails: Record<string, unknown> | null;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
}

export function toChange(row: Row): ChangeRecord {
  return {
    seq: Number(row.seq),
    id: String(row.seq),
    kind: row.kind,
    status: row.status,
    institutionId: row.institution_id,
    supervisingUnitId: row.supervising_unit_id,
    reason: row.reason,
    proposedDetails: row.details ? JSON.parse(row.details) : null,
    requestedBy: row.requested_by,
    requestedAt: toIso(row.requested_at)!,
    decidedBy: row.decided_by,
    decidedAt: toIso(row.decided_at),
    decisionNote: row.decision_note,
  };
}

export interface ChangeFilter {
  institutionId?: string | null;
  supervisingUnitId?: string | null;
  kind?: string | null;
  status?: string | null;
}

export interface ComplaintRecord {
  seq: number;
  id: string;
  institutionId: string;
  status: string;
  subject: string;
  filedAt: string;
  outcome: string | null;
  resolutionNote: string | null;
  resolvedAt: string | null;
}

export function toComplaint(row: Row): ComplaintRecord {
  return {
    seq: Number(row.seq),
    id: String(row.seq),
    institutionId: row.institution_id,
    status: row.status,
    subject: row.subject,
    filedAt: toIso(row.filed_at)!,
    outcome: row.outcome,
    resolutionNote: row.resolution_note,
    resolvedAt: toIso(row.resolved_at),
  };
}

export interface ComplaintFilter {
  institutionId?: string | null;
  status?: string | null;
  /** Only complaints about institutions this unit manages. */
  supervisingUnitId?: string | null;
}

/** Change requests and complaints: the registry's history. */
export class HistoryStore {
  constructor(readonly knex: Knex) {}

  private changes(f: ChangeFilter): Knex.QueryBuilder {
    const query = this.knex('institution_changes');
    if (f.institutionId) query.where('institution_id', f.institutionId);
    if (f.supervisingUnitId) query.where('supervising_unit_id', f.supervisingUnitId);
    if (f.kind) query.where('kind', f.kind);
    if (f.status) query.where('status', f.status);
    return query;
  }

  async listChanges(filter: ChangeFilter, window: PageWindow): Promise<ChangeRecord[]> {
    return (await pageOf(this.changes(filter), window, 'asc')).map(toChange);
  }

  async countChanges(filter: ChangeFilter): Promise<number> {
    const [row] = await this.changes(filter).count({ n: '*' });
    return Number(row?.n ?? 0);
  }

  async pageChangesOf(institutionIds: readonly string[], window: PageWindow): Promise<Map<string, ChangeRecord[]>> {
    const query = this.knex('institution_changes').whereIn('institution_id', institutionIds as string[]);
    const rows = await pagesPerParent(this.knex, query, 'institution_id', window, 'asc');
    return groupBy(rows.map(toChange), (c) => c.institutionId!);
  }

  async countChangesOf(institutionIds: readonly string[]): Promise<Map<string, number>> {
    return countsPerParent(
      this.knex('institution_changes').whereIn('institution_id', institutionIds as string[]),
      'institution_id',
    );
  }

  private complaints(f: ComplaintFilter): Knex.QueryBuilder {
    const query = this.knex('complaints');
    if (f.institutionId) query.where('institution_id', f.institutionId);
    if (f.status) query.where('status', f.status);
    if (f.supervisingUnitId)
      query.whereIn(
        'institution_id',
        this.knex('institutions').select('id').where('supervising_unit_id', f.supervisingUnitId),
      );
    return query;
  }

  async listComplaints(filter: ComplaintFilter, window: PageWindow): Promise<ComplaintRecord[]> {
    return (await pageOf(this.complaints(filter), window, 'asc')).map(toComplaint);
  }

  async countComplaints(filter: ComplaintFilter): Promise<number> {
    const [row] = await this.complaints(filter).count({ n: '*' });
    return Number(row?.n ?? 0);
  }

  async openComplaintCounts(institutionIds: readonly string[]): Promise<Map<string, number>> {
    return countsPerParent(
      this.knex('complaints')
        .where('status', 'OPEN')
        .whereIn('institution_id', institutionIds as string[]),
      'institution_id',
    );
  }
}
