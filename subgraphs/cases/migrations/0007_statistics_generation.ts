import type { Knex } from '../../../kit/store.js';

export const name = '0007_statistics_generation';

/**
 * The statistics cube's generation: one row, one number, raised by every write of the cube or of the running-limits
 * table in the writing transaction (statistics/cells.ts `CubeDelta.apply`). Computed statistics are kept in memory
 * under the generation they were read at (statistics/cache.ts); a higher generation in the database means they may
 * be stale. Stored here, not in a process, so every replica of the cases subgraph sees every other's writes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('case_stats_generation', (t) => {
    t.integer('id').primary();
    t.bigInteger('generation').notNullable();
  });
  await knex('case_stats_generation').insert({ id: 1, generation: 0 });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('case_stats_generation');
}
