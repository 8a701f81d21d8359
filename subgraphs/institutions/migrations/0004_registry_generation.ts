import type { Knex } from '../../../kit/store.js';
import { createGenerationTable } from '../../../kit/generation.js';

export const name = '0004_registry_generation';

/**
 * The registry's generation (kit/generation.ts), which every write of the registry raises in its transaction
 * (commands.ts `apply`, seed-writer.ts): pages of the registry are kept in memory under the generation they were read at.
 */
export async function up(knex: Knex): Promise<void> {
  await createGenerationTable(knex, 'registry_generation');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('registry_generation');
}
