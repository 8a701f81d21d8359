/** Reads of the referrals store. Every function takes many keys at once, so loaders batch into one statement. */
import type { Knex } from '../../kit/store.js';
import { toIso } from '../../kit/scalars.js';
import type { PageWindow } from '../../kit/connection.js';
import { groupBy } from '../../kit/loaders.js';
import { countsPerParent, pageOf, pagesPerParent } from '../../kit/keyset.js';
import { readGeneration } from '../../kit/generation.js';

/** Raised by every referral write (kit/generation.ts): referral figures are kept under it (loaders.ts). */
export const REFERRALS_GENERATION = 'referrals_generation';

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

export interface ReferralEventRecord {
  referralSeq: number;
  at: string;
  action: string;
  actor: string;
  actorRole: string;
  fromStatus: string | null;
  toStatus: string;
  reason: string | null;
}

/** One target's figures over a period of submission. */
export interface ReferralStats {
  received: number;
  accepted: number;
  declined: number;
  decided: number;
  decidedByResult: { result: string; count: number }[];
  /** Median of (decision date - submission date) in days over the decided ones; null when none is decided. */
  medianDaysToDecision: number | null;
}

export interface StatsPeriod {
  from: string;
  to: string;
}

type Row = Record<string, any>;

const DAY_MS = 86_400_000;

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const value = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Math.round(value * 100) / 100;
}

/** Referrals of one status and result, counted (a single referral is a group of one). */
interface CountedGroup {
  status: string;
  result: string | null;
  n: number;
  accepted: number;
}

/** The counted figures, from referrals read one by one or counted in SQL alike: what each figure counts is said once. */
function countsOf(groups: Iterable<CountedGroup>, medianDaysToDecision: number | null): ReferralStats {
  const byResult = new Map<string, number>();
  let received = 0,
    accepted = 0,
    declined = 0,
    decided = 0;
  for (const g of groups) {
    received += g.n;
    accepted += g.accepted;
    if (g.status === 'DECLINED') declined += g.n;
    if (g.status === 'DECIDED') {
      decided += g.n;
      byResult.set(g.result!, (byResult.get(g.result!) ?? 0) + g.n);
    }
  }
  return {
    received,
    accepted,
    declined,
    decided,
    medianDaysToDecision,
    decidedByResult: [...byResult].sort(([a], [b]) => a.localeCompare(b)).map(([result, count]) => ({ result, count })),
  };
}

function statsOf(rows: Row[]): ReferralStats {
  const durations = rows
    .filter((r) => r.status === 'DECIDED')
    .map((r) => (Date.parse(toIso(r.decided_at)!) - Date.parse(toIso(r.submitted_at)!)) / DAY_MS);
  return countsOf(
    rows.map((r) => ({ status: r.status, result: r.result, n: 1, accepted: r.accepted_at ? 1 : 0 })),
    median(durations),
  );
}

export const EMPTY_STATS: ReferralStats = statsOf([]);

export function toReferral(row: Row): ReferralRecord {
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
    const rows = await this.knex('referrals')
      .whereIn('case_id', caseIds as string[])
      .orderBy('seq');
    return groupBy(rows.map(toReferral), (r) => r.caseId);
  }

  /** One page of received referrals for each of many targets, in one statement. */
  async pageForTargets(
    targetIds: readonly string[],
    filter: ReferralFilter,
    window: PageWindow,
  ): Promise<Map<string, ReferralRecord[]>> {
    const query = this.filtered(filter).whereIn('target_id', targetIds as string[]);
    const rows = await pagesPerParent(this.knex, query, 'target_id', window, 'desc');
    return groupBy(rows.map(toReferral), (r) => r.targetId);
  }

  /** Each referral's history, oldest first. */
  async eventsOf(referralSeqs: readonly number[]): Promise<Map<number, ReferralEventRecord[]>> {
    const rows = await this.knex('referral_events')
      .whereIn('referral_seq', referralSeqs as number[])
      .orderBy('id');
    return groupBy(
      rows.map((r): ReferralEventRecord => ({
        referralSeq: Number(r.referral_seq),
        at: toIso(r.at)!,
        action: r.action,
        actor: r.actor,
        actorRole: r.actor_role,
        fromStatus: r.from_status,
        toStatus: r.to_status,
        reason: r.reason,
      })),
      (e) => e.referralSeq,
    );
  }

  /**
   * Figures for many targets over referrals submitted in [from, to), in one statement: the narrow rows are
   * aggregated here, because a median is not portable SQL (sqlite has none).
   */
  async statsForTargets(targetIds: readonly string[], period: StatsPeriod): Promise<Map<string, ReferralStats>> {
    const rows = await this.inPeriod(targetIds, period).select(
      'target_id',
      'status',
      'accepted_at',
      'result',
      'submitted_at',
      'decided_at',
    );
    return new Map([...groupBy(rows, (r: Row) => r.target_id as string)].map(([id, group]) => [id, statsOf(group)]));
  }

  /**
   * The same figures but the median, counted in SQL (one statement, one row per target, status and result): for a
   * selection without `medianDaysToDecision`, whose answer then holds null for it. A court receives thousands of
   * referrals a year, and reading them all to count them cost ten times the count.
   */
  async countsForTargets(targetIds: readonly string[], period: StatsPeriod): Promise<Map<string, ReferralStats>> {
    const rows: Row[] = await this.inPeriod(targetIds, period)
      .select('target_id', 'status', 'result')
      .count({ n: '*' })
      .select(this.knex.raw('sum(case when accepted_at is not null then 1 else 0 end) as accepted'))
      .groupBy('target_id', 'status', 'result');
    const counted = (r: Row): CountedGroup => ({
      status: r.status,
      result: r.result,
      n: Number(r.n),
      accepted: Number(r.accepted ?? 0),
    });
    return new Map(
      [...groupBy(rows, (r) => r.target_id as string)].map(([id, groups]) => [id, countsOf(groups.map(counted), null)]),
    );
  }

  /** The referrals' generation now. */
  generation(): Promise<number> {
    return readGeneration(this.knex, REFERRALS_GENERATION);
  }

  private inPeriod(targetIds: readonly string[], period: StatsPeriod): Knex.QueryBuilder {
    return this.knex('referrals')
      .whereIn('target_id', targetIds as string[])
      .where('submitted_at', '>=', period.from)
      .where('submitted_at', '<', period.to);
  }

  async countForTargets(targetIds: readonly string[], filter: ReferralFilter): Promise<Map<string, number>> {
    return countsPerParent(this.filtered(filter).whereIn('target_id', targetIds as string[]), 'target_id');
  }
}
