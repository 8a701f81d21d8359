import type { Knex } from '../../../kit/store.js';

export const name = '0003_referral_stats_covering';

/**
 * `Institution.referralStats` counted in SQL (store.ts `countsForTargets`) reads, per target and period of submission,
 * only status, result and whether accepted: with those in the index the count never visits the table (a court's
 * year is thousands of referrals). It replaces the (target_id, submitted_at) index, its prefix.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('referrals', (t) => {
    t.index(['target_id', 'submitted_at', 'status', 'result', 'accepted_at'], 'referrals_target_period_figures');
  });
  await knex.schema.alterTable('referrals', (t) => {
    t.dropIndex(['target_id', 'submitted_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('referrals', (t) => {
    t.index(['target_id', 'submitted_at']);
  });
  await knex.schema.alterTable('referrals', (t) => {
    t.dropIndex([], 'referrals_target_period_figures');
  });
}
