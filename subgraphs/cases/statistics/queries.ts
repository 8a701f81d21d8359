/**
 * Reads of the statistics cube: grouped sums of counters and record-key sums, closure histograms and overdue counts,
 * each split into the part the principal sees exactly and the rest (statistics/disclosure.ts). Each read is one
 * statement, whatever the number of groups (institutions, months...) it answers for, and none scans cases: sums read
 * the cube, and overdue counts the running-limits table (one row per open case with a limit running).
 */
import type { Knex } from '../../../kit/store.js';
import { concatenated, rowsOf } from '../../../kit/store.js';
import { COUNTERS, GENERATION_TABLE, KEY_SUMS, parseClosureDays, type Counters } from './cells.js';
import { toIso } from '../../../kit/scalars.js';
import { readGeneration } from '../../../kit/generation.js';
import { addToParts, exactPartSql, noParts, type FigureParts, type FigurePolicy } from './disclosure.js';

export const DIMENSION_COLUMNS = {
  INSTITUTION: 'institution_id',
  SUPERVISING_UNIT: 'supervising_unit_id',
  DISTRICT: 'district',
  CATEGORY: 'category',
  CHANNEL: 'channel',
  MONTH: 'month',
  STATUS: 'status',
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

/** One group, one status and one part (exact or not): its counters' sums and their record-key sums. */
export interface CellSums {
  group: Record<string, string>;
  status: string;
  exactPart: boolean;
  sums: Counters;
  keys: Counters;
}

/** A group's closure histograms (days → cases), of its exact part and of the rest. */
export interface ClosureHistograms {
  exact: Map<number, number>;
  rest: Map<number, number>;
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

/** Groups by the exact-part flag as well, where it varies (by its name: see store.ts `partsQuery`). */
function withExactPart(knex: Knex, query: Knex.QueryBuilder, policy: FigurePolicy, alias: string): Knex.QueryBuilder {
  const part = exactPartSql(policy, alias);
  query.select(knex.raw(`${part.sql} as exact_part`, part.bindings));
  if (typeof policy.exact === 'object') query.groupBy('exact_part');
  return query;
}

export class StatsReader {
  constructor(private readonly knex: Knex) {}

  /** Sums per group, status and part: counters and their key sums. */
  async cellSums(filter: StatsFilter, columns: readonly string[], policy: FigurePolicy): Promise<CellSums[]> {
    const groupColumns = [...new Set([...columns, 'status'])];
    const query = filtered(this.knex('case_stats_cells as s'), filter, 's')
      .select(groupColumns.map((c) => `s.${c}`))
      .select(
        COUNTERS.flatMap((k) => [
          this.knex.raw('sum(s.??) as ??', [k, k]),
          this.knex.raw('sum(s.??) as ??', [KEY_SUMS[k], KEY_SUMS[k]]),
        ]),
      )
      .groupBy(groupColumns.map((c) => `s.${c}`));
    const rows: Row[] = await withExactPart(this.knex, query, policy, 's');
    return rows.map((r) => ({
      group: Object.fromEntries(columns.map((c) => [c, r[c]])),
      status: r.status,
      exactPart: Number(r.exact_part) === 1,
      sums: Object.fromEntries(COUNTERS.map((k) => [k, Number(r[k] ?? 0)])) as Counters,
      keys: Object.fromEntries(COUNTERS.map((k) => [k, Number(r[KEY_SUMS[k]] ?? 0)])) as Counters,
    }));
  }

  /** Days-to-closure histograms per group and part: each atom's histogram text, concatenated. */
  async closureHistograms(
    filter: StatsFilter,
    columns: readonly string[],
    policy: FigurePolicy,
  ): Promise<Map<string, ClosureHistograms>> {
    const concat = concatenated(this.knex, 's.closure_days');
    // Only closed mediations have days to closure: naming their statuses narrows the index range before any row is read.
    const query = filtered(this.knex('case_stats_cells as s'), filter, 's')
      .whereIn('s.status', ['RESOLVED', 'UNRESOLVED'])
      .whereNot('s.closure_days', '')
      .select(this.knex.raw(`${concat} as days`));
    if (columns.length) query.select(columns.map((c) => `s.${c}`)).groupBy(columns.map((c) => `s.${c}`));
    const result = new Map<string, ClosureHistograms>();
    for (const row of (await withExactPart(this.knex, query, policy, 's')) as Row[]) {
      if (!row.days) continue;
      const key = groupKeyOf(columns, row);
      if (!result.has(key)) result.set(key, { exact: new Map(), rest: new Map() });
      const histograms = result.get(key)!;
      parseClosureDays(row.days, Number(row.exact_part) === 1 ? histograms.exact : histograms.rest);
    }
    return result;
  }

  /**
   * Open cases with a time limit running past due, per group and part, with their record keys' sum: a range read of
   * the running-limits table.
   */
  async overdueNow(
    filter: StatsFilter,
    columns: readonly string[],
    policy: FigurePolicy,
    now: Date,
  ): Promise<Map<string, FigureParts>> {
    const query = atomFilter(this.knex('case_stats_running as r'), filter, 'r')
      .where('r.due_at', '<', now.toISOString())
      .select(this.knex.raw('count(*) as n'), this.knex.raw('sum(r.record_key) as k'));
    if (columns.length) query.select(columns.map((c) => `r.${c}`)).groupBy(columns.map((c) => `r.${c}`));
    const result = new Map<string, FigureParts>();
    for (const row of rowsOf<Row>(await withExactPart(this.knex, query, policy, 'r'))) {
      const key = groupKeyOf(columns, row);
      if (!result.has(key)) result.set(key, noParts());
      addToParts(result.get(key)!, row.exact_part, Number(row.n), Number(row.k ?? 0));
    }
    return result;
  }

  /**
   * The earliest due time at or after `now` among the running limits the filter selects (epoch ms; Infinity when
   * none): until then, and until a write, `overdueNow` for this filter cannot change. The instant stays between the
   * subgraph and the gateway (it bounds how long an answer is kept) and never reaches a client.
   */
  async nextDue(filter: StatsFilter, now: Date): Promise<number> {
    const [row] = rowsOf<Row>(
      await atomFilter(this.knex('case_stats_running as r'), filter, 'r')
        .where('r.due_at', '>=', now.toISOString())
        .min({ due: 'r.due_at' }),
    );
    return row?.due ? Date.parse(toIso(row.due)!) : Infinity;
  }

  /** The cube's generation now (raised by every write of the cube: cells.ts). */
  async generation(): Promise<number> {
    return readGeneration(this.knex, GENERATION_TABLE);
  }
}
