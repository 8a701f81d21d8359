/**
 * Keyset pagination in SQL on an integer key column (`seq`): one page of a list, or one page for each of
 * many parents in a single statement (a row_number() window partitioned by the parent column).
 */
import type { Knex } from 'knex';
import type { PageWindow } from './connection.js';

export type Order = 'asc' | 'desc';

function afterKey(query: Knex.QueryBuilder, window: PageWindow, order: Order): Knex.QueryBuilder {
  if (window.afterKey !== null) query.where('seq', order === 'asc' ? '>' : '<', window.afterKey);
  return query;
}

/** Rows of one page plus one (the extra row tells that a next page exists). */
export function pageOf(query: Knex.QueryBuilder, window: PageWindow, order: Order): Knex.QueryBuilder {
  return afterKey(query, window, order)
    .orderBy('seq', order)
    .limit(window.limit + 1);
}

/** The same page for every parent at once: rows ordered by parent, then key. */
export function pagesPerParent(
  knex: Knex,
  query: Knex.QueryBuilder,
  parentColumn: string,
  window: PageWindow,
  order: Order,
): Knex.QueryBuilder {
  const ranked = afterKey(query, window, order).select(
    '*',
    knex.raw(`row_number() over (partition by ?? order by seq ${order}) as rn`, [parentColumn]),
  );
  return knex
    .select('*')
    .from(ranked.as('ranked'))
    .where('rn', '<=', window.limit + 1)
    .orderBy([{ column: parentColumn }, { column: 'seq', order }]);
}

/** The number of rows for each parent, in one statement. */
export async function countsPerParent(query: Knex.QueryBuilder, parentColumn: string): Promise<Map<string, number>> {
  const rows: Record<string, unknown>[] = await query.groupBy(parentColumn).select(parentColumn).count({ n: '*' });
  return new Map(rows.map((r) => [String(r[parentColumn]), Number(r.n)]));
}
