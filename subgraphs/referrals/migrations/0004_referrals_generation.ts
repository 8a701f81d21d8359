import type { Knex } from '../../../kit/store.js';
import { createGenerationTable } from '../../../kit/generation.js';

export const name = '0004_referrals_generation';

/**
 * The referrals' generation (kit/generation.ts), which every referral write raises in its transaction (commands.ts
 * `writeEvent`, seed-writer.ts): referral figures are kept in memory under the generation they were counted at.
 */
export async function up(knex: Knex): Promise<void> {
  await createGenerationTable(knex, 'referrals_generation');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('referrals_generation');
}
