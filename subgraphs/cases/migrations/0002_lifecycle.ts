import type { Knex } from '../../../kit/store.js';
import { createIdempotencyTable } from '../../../kit/idempotency.js';

export const name = '0002_lifecycle';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('cases', (t) => {
    t.timestamp('respondent_contacted_at', { useTz: true });
    t.boolean('respondent_willing');
  });
  // The last number given out each year: incremented in the submitting transaction, so numbers are gap-free.
  await knex.schema.createTable('case_number_counters', (t) => {
    t.integer('year').primary();
    t.integer('last').notNullable();
  });
  await knex.schema.createTable('case_deadlines', (t) => {
    t.increments('id').primary();
    t.integer('case_seq').notNullable().references('seq').inTable('cases').onDelete('CASCADE');
    t.string('rule', 32).notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('due_at', { useTz: true }).notNullable();
    t.timestamp('met_at', { useTz: true });
    t.index(['case_seq']);
    // Overdue cases are running deadlines past due: found through this index, not by scanning cases.
    t.index(['met_at', 'due_at']);
  });
  await createIdempotencyTable(knex);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
  await knex.schema.dropTable('case_deadlines');
  await knex.schema.dropTable('case_number_counters');
  await knex.schema.alterTable('cases', (t) => {
    t.dropColumn('respondent_contacted_at');
    t.dropColumn('respondent_willing');
  });
}
