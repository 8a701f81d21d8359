/**
 * Reads of the statistics cube: grouped sums of publishable atoms, closure histograms and overdue counts. Each read
 * is one statement, whatever the number of groups (institutions, months...) it answers for, and none scans cases:
 * sums read the cube, and overdue counts start from the running-deadline index (met_at, due_at).
 */
import type { Knex } from '../../../kit/store.js';
import { isPostgres, rowsOf } from '../../../kit/store.js';
import { ATOM_KEY, COUNTERS, GENERATION_TABLE, parseClosureDays, type Counters } from './cells.js';
import { toIso } from '../../../kit/scalars.js';
import { readGeneration } from '../../../kit/generation.js';
import { OPEN_STATUSES } from './rates.js';
import { publishableAtom, type SuppressionPolicy } from './suppression.js';

export const DIMENSION_COLUMNS = {
  INSTITUTION: 'institution_id', SUPERVISING_UNIT: 'supervising_unit_id', DISTRICT: 'district', CATEGORY: 'category',
  CHANNEL: 'channel', MONTH: 'month', STATUS: 'status',
} as const;
export type Dimension = keyof typeof DIMENSION_COLUMNS;

export interface StatsFilter {
  /** First and last month of submission (YYYY-MM, inclusive). */
  from?: string | null;
  to?: string | null;
  district?: string | null;
  supervisingUnitId?: string | null;
  institutionId?: string | null;
  /** Several institutions at once (Institution.caseStats batches them). */
  institutionIds?: readonly string[];
  category?: string | null;
  channel?: string | null;
}

/** One group and one status: sums of its publishable atoms, and whether any of its atoms was withheld. */
export interface CellSums {
  group: Record<string, string>;
  status: string;
  sums: Counters;
  withheld: boolean;
}

type Row = Record<string, any>;

export const groupKeyOf = (columns: readonly string[], row: Row) => JSON.stringify(columns.map((c) => row[c] ?? ''));

function filtered(query: Knex.QueryBuilder, f: StatsFilter, alias: string): Knex.QueryBuilder {
  return atomFilter(query, f, alias).where(`${alias}.n`, '>', 0);
}

/** The filter on the atom-key columns of a table under `alias`. */
function atomFilter(query: Knex.QueryBuilder, f: StatsFilter, alias: string): Knex.QueryBuilder {
  const col = (c: string) => `${alias}.${c}`;
  if (f.from) query.where(col('month'), '>=', f.from);
  if (f.to) query.where(col('month'), '<=', f.to);
  if (f.district) query.where(col('district'), f.district);
  if (f.supervisingUnitId) query.where(col('supervising_unit_id'), f.supervisingUnitId);
  if (f.institutionId) query.where(col('institution_id'), f.institutionId);
  if (f.institutionIds) query.whereIn(col('institution_id'), f.institutionIds as string[]);
  if (f.category) query.where(col('category'), f.category);
  if (f.channel) query.where(col('channel'), f.channel);
  return query;
}

/** Equality of two aliases' atom keys, as SQL. */
const ATOM_JOIN = (a: string, b: string) => ATOM_KEY.map((c) => `${a}.${c} = ${b}.${c}`).join(' and ');

export class StatsReader {
  constructor(private readonly knex: Knex) {}

  /** Sums per group and status, of publishable atoms only. */
  async cellSums(filter: StatsFilter, columns: readonly string[], policy: SuppressionPolicy): Promise<CellSums[]> {
    const pub = publishableAtom(policy, 's');
    const groupColumns = [...new Set([...columns, 'status'])];
    // One pass over the atoms: the publishable test is repeated per counter (its bindings with it) rather than
    // computed once in a subquery, which sqlite materialised row by row.
    const publishedSum = (k: string) => this.knex.raw(`sum(case when ${pub.sql} then s.?? else 0 end) as ??`, [...pub.bindings, k, k]);
    const rows: Row[] = await filtered(this.knex('case_stats_cells as s'), filter, 's')
      .select(groupColumns.map((c) => `s.${c}`))
      .select(COUNTERS.map(publishedSum))
      .select(this.knex.raw(`min(case when ${pub.sql} then 1 else 0 end) as all_published`, pub.bindings))
      .groupBy(groupColumns.map((c) => `s.${c}`));
    return rows.map((r) => ({
      group: Object.fromEntries(columns.map((c) => [c, r[c]])),
      status: r.status,
      sums: Object.fromEntries(COUNTERS.map((k) => [k, Number(r[k] ?? 0)])) as Counters,
      withheld: Number(r.all_published) === 0,
    }));
  }

  /** Days-to-closure histograms per group, of publishable atoms only: each atom's histogram text, concatenated per group. */
  async closureHistograms(filter: StatsFilter, columns: readonly string[], policy: SuppressionPolicy): Promise<Map<string, Map<number, number>>> {
    const pub = publishableAtom(policy, 's');
    const concat = isPostgres(this.knex) ? "string_agg(s.closure_days, '')" : "group_concat(s.closure_days, '')";
    const query = filtered(this.knex('case_stats_cells as s'), filter, 's').whereNot('s.closure_days', '').whereRaw(pub.sql, pub.bindings)
      .select(this.knex.raw(`${concat} as days`));
    if (columns.length) query.select(columns.map((c) => `s.${c}`)).groupBy(columns.map((c) => `s.${c}`));
    const result = new Map<string, Map<number, number>>();
    for (const row of (await query) as Row[]) if (row.days) result.set(groupKeyOf(columns, row), parseClosureDays(row.days));
    return result;
  }

  /**
   * Open cases with a time limit running past due, per group: a range read of the running-limits table (one row per
   * open case, with its atom), counted only where that atom is publishable.
   */
  async overdueNow(filter: StatsFilter, columns: readonly string[], policy: SuppressionPolicy, now: Date): Promise<Map<string, number>> {
    const pub = publishableAtom(policy, 's');
    // Overdue running rows counted per atom first (by their filter's index), then each atom's size by primary key.
    const perAtom = atomFilter(this.knex('case_stats_running as r'), filter, 'r').where('r.due_at', '<', now.toISOString())
      .select(ATOM_KEY.map((c) => `r.${c}`)).select(this.knex.raw('count(*) as overdue')).groupBy(ATOM_KEY.map((c) => `r.${c}`));
    const query = this.knex.from(perAtom.as('o')).crossJoin('case_stats_cells as s' as any)
      .whereRaw(ATOM_JOIN('s', 'o')).whereRaw(pub.sql, pub.bindings)
      .select(this.knex.raw('sum(o.overdue) as n'));
    if (columns.length) query.select(columns.map((c) => `s.${c}`)).groupBy(columns.map((c) => `s.${c}`));
    const result = new Map<string, number>();
    for (const row of rowsOf<Row>(await query)) result.set(groupKeyOf(columns, row), Number(row.n));
    return result;
  }

  /**
   * The earliest due time at or after `now` among the running limits the filter selects in atoms publishable to the
   * policy (epoch ms; Infinity when none): until then, and until a write, `overdueNow` for this filter cannot change.
   * Only publishable atoms count, as in `overdueNow`: the instant is told to the gateway (it keeps answers until
   * then), and a due time in a withheld atom is nothing a caller could learn from published counts.
   */
  async nextDue(filter: StatsFilter, policy: SuppressionPolicy, now: Date): Promise<number> {
    const pub = publishableAtom(policy, 's');
    const [row] = rowsOf<Row>(await atomFilter(this.knex('case_stats_running as r'), filter, 'r')
      .join('case_stats_cells as s', (on) => { for (const c of ATOM_KEY) on.on(`s.${c}`, '=', `r.${c}`); })
      .where('r.due_at', '>=', now.toISOString()).whereRaw(pub.sql, pub.bindings).min({ due: 'r.due_at' }));
    return row?.due ? Date.parse(toIso(row.due)!) : Infinity;
  }

  /** The cube's generation now (raised by every write of the cube: cells.ts). */
  async generation(): Promise<number> {
    return readGeneration(this.knex, GENERATION_TABLE);
  }
}
