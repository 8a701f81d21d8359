import type { Knex } from '../../../kit/store.js';

export const name = '0001_referrals';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('referrals', (t) => {
    t.increments('seq').primary();
    t.string('id', 32).notNullable().unique();
    t.string('case_id', 32).notNullable();
    t.string('kind', 32).notNullable();
    t.string('status', 16).notNullable();
    t.string('target_id', 32).notNullable();
    t.string('requested_by', 32).notNullable();
    t.timestamp('submitted_at', { useTz: true }).notNullable();
    t.timestamp('accepted_at', { useTz: true });
    t.timestamp('declined_at', { useTz: true });
    t.text('decline_reason');
    t.string('arbitration_agreement', 16);
    t.string('result', 16);
    t.timestamp('decided_at', { useTz: true });
    t.string('document_number', 64);
    t.integer('version').notNullable().defaultTo(1);
    t.index(['case_id', 'seq']);
    t.index(['target_id', 'seq']);
    t.index(['status', 'seq']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('referrals');
}
