import type { Knex } from '../../../kit/store.js';
import { createGenerationTable } from '../../../kit/generation.js';

export const name = '0007_statistics_generation';

/**
 * The statistics cube's generation (kit/generation.ts), which every write of the cube or of the running-limits table
 * raises in the writing transaction (statistics/cells.ts `CubeDelta.apply`): computed statistics are kept in memory
 * under the generation they were read at, and a higher generation in the database means they may be stale.
 */
export async function up(knex: Knex): Promise<void> {
  await createGenerationTable(knex, 'case_stats_generation');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('case_stats_generation');
}
