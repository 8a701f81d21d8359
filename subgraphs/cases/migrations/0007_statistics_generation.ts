import type { Knex } from '../../../kit/store.js';
import { GENERATION_STRIPES } from '../statistics/cells.js';

export const name = '0007_statistics_generation';

/**
 * The statistics cube's generation: the sum of GENERATION_STRIPES counters, one of which every write of the cube or of
 * the running-limits table raises in the writing transaction (statistics/cells.ts `CubeDelta.apply`). Computed
 * statistics are kept in memory under the generation they were read at (statistics/cache.ts); a higher generation
 * in the database means they may be stale. Stored here, not in a process, so every replica of the cases subgraph
 * sees every other's writes. Striped because one row would be locked by every case change until its commit: on
 * PostgreSQL that queued all status changes behind each other (386 -> 216 changes a second in the benchmark).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('case_stats_generation', (t) => {
    t.integer('id').primary();
    t.bigInteger('generation').notNullable();
  });
  await knex('case_stats_generation').insert(Array.from({ length: GENERATION_STRIPES }, (_, id) => ({ id, generation: 0 })));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('case_stats_generation');
}
