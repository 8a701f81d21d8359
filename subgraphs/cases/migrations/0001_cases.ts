import type { Knex } from '../../../kit/store.js';

export const name = '0001_cases';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('cases', (t) => {
    t.increments('seq').primary();
    t.string('id', 32).notNullable().unique();
    t.string('status', 16).notNullable();
    t.string('category', 32).notNullable();
    t.string('channel', 8).notNullable();
    t.string('district', 6).notNullable();
    t.string('external_ref', 64);
    t.timestamp('submitted_at', { useTz: true }).notNullable();
    t.timestamp('dispatched_at', { useTz: true });
    t.timestamp('accepted_at', { useTz: true });
    t.timestamp('closed_at', { useTz: true });
    t.timestamp('occurred_at', { useTz: true });
    t.string('place', 200);
    t.text('claims');
    t.text('description');
    t.text('agreement_subject');
    t.text('remedies');
    t.text('rejection_reason');
    t.string('institution_id', 32);
    t.string('supervising_unit_id', 32);
    t.integer('version').notNullable().defaultTo(1);
    t.unique(['channel', 'external_ref']);
    t.index(['institution_id', 'seq']);
    t.index(['status', 'seq']);
    t.index(['district', 'seq']);
    t.index(['category', 'seq']);
    t.index(['submitted_at']);
  });
  await knex.schema.createTable('parties', (t) => {
    t.increments('id').primary();
    t.integer('case_seq').notNullable().references('seq').inTable('cases').onDelete('CASCADE');
    t.string('role', 16).notNullable();
    t.string('kind', 16).notNullable();
    t.string('name', 100).notNullable();
    t.string('id_number', 18);
    t.string('phone', 20);
    t.string('email', 100);
    t.string('address', 200);
    t.index(['case_seq']);
  });
  await knex.schema.createTable('case_events', (t) => {
    t.increments('id').primary();
    t.integer('case_seq').notNullable().references('seq').inTable('cases').onDelete('CASCADE');
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('action', 32).notNullable();
    t.string('actor', 64).notNullable();
    t.string('actor_role', 16).notNullable();
    t.string('from_status', 16);
    t.string('to_status', 16).notNullable();
    t.text('reason');
    t.index(['case_seq', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('case_events');
  await knex.schema.dropTable('parties');
  await knex.schema.dropTable('cases');
}
