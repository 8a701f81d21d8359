import type { Knex } from '../../../kit/store.js';

export const name = '0009_grant_approval';

/**
 * Four eyes on consent: a grant wider than one category of one case is in force only once a second steward approves
 * it. Grants given before the rule keep force only when they are that narrow; a wider one waits for its approval as
 * a new one would, rather than stay in force on one steward's word.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('consent_grants', (t) => {
    t.string('approved_by', 128);
    t.timestamp('approved_at', { useTz: true });
  });
  await knex('consent_grants')
    .whereNotNull('scope_case_id')
    .whereNot('categories', 'like', '%,%')
    .update({ approved_at: knex.ref('granted_at') });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('consent_grants', (t) => {
    t.dropColumn('approved_at');
    t.dropColumn('approved_by');
  });
}
