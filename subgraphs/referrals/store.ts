/** Reads of the referrals store. Every function takes many keys at once, so loaders batch into one statement. */
import type { Knex } from '../../kit/store.js';
import { toIso } from '../../kit/scalars.js';
import type { PageWindow } from '../../kit/connection.js';
import { groupBy } from '../../kit/loaders.js';
import { countsPerParent, pageOf, pagesPerParent } from '../../kit/keyset.js';

export interface ReferralFilter {
  kind?: string | null;
  status?: string | null;
  targetId?: string | null;
  caseId?: string | null;
}

export interface ReferralRecord {
  seq: number;
  id: string;
  caseId: string;
  kind: string;
  status: string;
  targetId: string;
  requestedBy: string;
  submittedAt: string;
  acceptedAt: string | null;
  declinedAt: string | null;
  declineReason: string | null;
  arbitrationAgreement: string | null;
  result: string | null;
  decidedAt: string | null;
  documentNumber: string | null;
  version: number;
}

type Row = Record<string, any>;

function toReferral(row: Row): ReferralRecord {
  return {
    seq: Number(row.seq),
    id: row.id,
    caseId: row.case_id,
    kind: row.kind,
    status: row.status,
    targetId: row.target_id,
    requestedBy: row.requested_by,
    submittedAt: toIso(row.submitted_at)!,
    acceptedAt: toIso(row.accepted_at),
    declinedAt: toIso(row.declined_at),
    declineReason: row.decline_reason,
    arbitrationAgreement: row.arbitration_agreement,
    result: row.result,
    decidedAt: toIso(row.decided_at),
    documentNumber: row.document_number,
    version: Number(row.version),
  };
}

export class ReferralStore {
  constructor(readonly knex: Knex) {}

  private filtered(f: ReferralFilter): Knex.QueryBuilder {
    const query = this.knex('referrals');
    if (f.kind) query.where('kind', f.kind);
    if (f.status) query.where('status', f.status);
    if (f.targetId) query.where('target_id', f.targetId);
    if (f.caseId) query.where('case_id', f.caseId);
    return query;
  }

  async byIds(ids: readonly string[]): Promise<ReferralRecord[]> {
    return (await this.knex('referrals').whereIn('id', ids as string[])).map(toReferral);
  }

  /** Newest first. */
  async list(filter: ReferralFilter, window: PageWindow): Promise<ReferralRecord[]> {
    return (await pageOf(this.filtered(filter), window, 'desc')).map(toReferral);
  }

  async count(filter: ReferralFilter): Promise<number> {
    const [row] = await this.filtered(filter).count({ n: '*' });
    return Number(row?.n ?? 0);
  }

  /** Every referral of each case, oldest first. */
  async ofCases(caseIds: readonly string[]): Promise<Map<string, ReferralRecord[]>> {
    const rows = await this.knex('referrals').whereIn('case_id', caseIds as string[]).orderBy('seq');
    return groupBy(rows.map(toReferral), (r) => r.caseId);
  }

  /** One page of received referrals for each of many targets, in one statement. */
  async pageForTargets(targetIds: readonly string[], filter: ReferralFilter, window: PageWindow): Promise<Map<string, ReferralRecord[]>> {
    const query = this.filtered(filter).whereIn('target_id', targetIds as string[]);
    const rows = await pagesPerParent(this.knex, query, 'target_id', window, 'desc');
    return groupBy(rows.map(toReferral), (r) => r.targetId);
  }

  async countForTargets(targetIds: readonly string[], filter: ReferralFilter): Promise<Map<string, number>> {
    return countsPerParent(this.filtered(filter).whereIn('target_id', targetIds as string[]), 'target_id');
  }
}
