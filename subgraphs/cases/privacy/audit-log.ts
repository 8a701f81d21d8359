/**
 * The audit log of party data: every clear read, every withheld value and every refusal, and every step of a grant
 * (requested, granted, approved, revoked). Append-only and hash-chained (each record's hash covers the previous
 * one's, and the newest hash is kept apart), so `verify` detects a changed, inserted or deleted record. It holds no
 * personal value: case ids, categories, the principal, the operation name and a hash of the document.
 */
import { createHash } from 'node:crypto';
import type { Knex } from '../../../kit/store.js';
import { serializeWriters } from '../../../kit/store.js';
import { toIso } from '../../../kit/scalars.js';
import type { Principal } from '../../../kit/principal.js';
import type { PageWindow } from '../../../kit/connection.js';
import { pageOf } from '../../../kit/keyset.js';

export type AuditDecision = 'CLEAR' | 'WITHHELD' | 'DENIED' | 'REQUESTED' | 'GRANTED' | 'APPROVED' | 'REVOKED';

export interface AuditEntry {
  requestId: string;
  principal: Principal;
  decision: AuditDecision;
  categories: string[];
  caseIds: string[];
  operation: string | null;
  documentHash: string | null;
  /** A short, non-personal note: a grant id, the refused filter's field name. */
  detail?: string | null;
}

export interface AuditFilter {
  principal?: string | null;
  decision?: string | null;
  caseId?: string | null;
  from?: string | null;
  to?: string | null;
}

export interface AuditRecord {
  seq: number;
  at: string;
  requestId: string;
  principal: string;
  role: string;
  org: string | null;
  decision: string;
  categories: string[];
  caseIds: string[];
  operation: string | null;
  documentHash: string | null;
  detail: string | null;
}

const GENESIS = '0'.repeat(64);

interface StoredRow {
  seq: number;
  at: string;
  request_id: string;
  principal: string;
  role: string;
  org: string | null;
  decision: string;
  categories: string;
  case_ids: string;
  operation: string | null;
  document_hash: string | null;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

function hashOf(row: Omit<StoredRow, 'seq' | 'hash'>): string {
  const fields = [
    row.prev_hash,
    row.at,
    row.request_id,
    row.principal,
    row.role,
    row.org ?? '',
    row.decision,
    row.categories,
    row.case_ids,
    row.operation ?? '',
    row.document_hash ?? '',
    row.detail ?? '',
  ];
  return createHash('sha256').update(fields.join('\u001f')).digest('hex');
}

export class AuditLog {
  constructor(
    private readonly knex: Knex,
    private readonly clock: () => Date,
  ) {}

  /**
   * Appends entries, in the caller's transaction when given (a grant and its audit record commit together), else in
   * one of its own; throws if they cannot be written (callers fail closed).
   */
  async append(entries: AuditEntry[], outer?: Knex.Transaction): Promise<void> {
    if (entries.length === 0) return;
    const write = async (trx: Knex.Transaction) => {
      // One writer at a time extends the chain (sqlite serializes writers already).
      await serializeWriters(trx, 727001);
      const head = await trx('audit_head').where('id', 1).first();
      let prev: string =
        head?.hash ?? (await trx('audit_checkpoints').orderBy('id', 'desc').first())?.prev_hash ?? GENESIS;
      let seq = 0;
      const at = this.clock().toISOString();
      for (const e of entries) {
        const row = {
          at,
          request_id: e.requestId,
          principal: e.principal.sub,
          role: e.principal.role,
          org: e.principal.org ?? null,
          decision: e.decision,
          categories: [...e.categories].sort().join(','),
          case_ids: JSON.stringify([...e.caseIds].sort()),
          operation: e.operation?.slice(0, 128) ?? null,
          document_hash: e.documentHash,
          detail: e.detail?.slice(0, 200) ?? null,
          prev_hash: prev,
        };
        const hash = hashOf(row);
        const [inserted] = await trx('audit_events')
          .insert({ ...row, hash })
          .returning('seq');
        seq = Number(typeof inserted === 'object' ? (inserted as { seq: number }).seq : inserted);
        prev = hash;
      }
      if (head) await trx('audit_head').where('id', 1).update({ seq, hash: prev });
      else await trx('audit_head').insert({ id: 1, seq, hash: prev });
    };
    if (outer) await write(outer);
    else await this.knex.transaction(write);
  }

  private filtered(filter: AuditFilter): Knex.QueryBuilder {
    const query = this.knex('audit_events');
    if (filter.principal) query.where('principal', filter.principal);
    if (filter.decision) query.where('decision', filter.decision);
    if (filter.caseId) query.where('case_ids', 'like', `%"${filter.caseId.replace(/[%_"\\]/g, '')}"%`);
    if (filter.from) query.where('at', '>=', filter.from);
    if (filter.to) query.where('at', '<', filter.to);
    return query;
  }

  async count(filter: AuditFilter): Promise<number> {
    const [row] = await this.filtered(filter).count({ n: '*' });
    return Number(row?.n ?? 0);
  }

  async list(filter: AuditFilter, window: PageWindow): Promise<AuditRecord[]> {
    return (await pageOf(this.filtered(filter), window, 'desc')).map((r: StoredRow) => ({
      seq: Number(r.seq),
      at: toIso(r.at)!,
      requestId: r.request_id,
      principal: r.principal,
      role: r.role,
      org: r.org,
      decision: r.decision,
      categories: r.categories ? r.categories.split(',') : [],
      caseIds: JSON.parse(r.case_ids),
      operation: r.operation,
      documentHash: r.document_hash,
      detail: r.detail,
    }));
  }

  /** Walks the chain from its start (or the pruning checkpoint) to the head. */
  async verify(): Promise<{ ok: boolean; checked: number; brokenAt: number | null; reason: string | null }> {
    const checkpoint = await this.knex('audit_checkpoints').orderBy('id', 'desc').first();
    let prev: string = checkpoint?.prev_hash ?? GENESIS;
    let expectedSeq: number | null = checkpoint?.first_seq ?? null;
    let checked = 0;
    let last: StoredRow | null = null;
    const broken = (seq: number, reason: string) => ({ ok: false, checked, brokenAt: seq, reason });
    for (let after = 0; ;) {
      const rows: StoredRow[] = await this.knex('audit_events').where('seq', '>', after).orderBy('seq').limit(1000);
      if (rows.length === 0) break;
      for (const raw of rows) {
        const row = { ...raw, seq: Number(raw.seq), at: toIso(raw.at)! };
        if (expectedSeq !== null && row.seq !== expectedSeq)
          return broken(expectedSeq, `record ${expectedSeq} is missing`);
        if (row.prev_hash !== prev) return broken(row.seq, `record ${row.seq} does not follow the record before it`);
        const { seq: _seq, hash, ...content } = row;
        if (hashOf(content) !== hash) return broken(row.seq, `record ${row.seq} was changed`);
        prev = hash;
        expectedSeq = row.seq + 1;
        last = row;
        checked++;
      }
      after = Number(rows[rows.length - 1]!.seq);
    }
    const head = await this.knex('audit_head').where('id', 1).first();
    if (head && (!last || Number(head.seq) !== last.seq || head.hash !== last.hash)) {
      return broken(Number(head.seq), `the newest record (${head.seq}) is missing or was changed`);
    }
    return { ok: true, checked, brokenAt: null, reason: null };
  }

  /** Drops records older than the retention, keeping a checkpoint so the rest still verifies. */
  async prune(retentionDays: number): Promise<number> {
    const cutoff = new Date(this.clock().getTime() - retentionDays * 86_400_000).toISOString();
    return this.knex.transaction(async (trx) => {
      const newestOld = await trx('audit_events').where('at', '<', cutoff).orderBy('seq', 'desc').first();
      if (!newestOld) return 0;
      const head = await trx('audit_head').where('id', 1).first();
      if (head && Number(head.seq) === Number(newestOld.seq)) return 0; // never prune the head itself
      const removed = await trx('audit_events').where('seq', '<=', newestOld.seq).del();
      await trx('audit_checkpoints').insert({
        first_seq: Number(newestOld.seq) + 1,
        prev_hash: newestOld.hash,
        pruned_at: this.clock().toISOString(),
      });
      return removed;
    });
  }
}
