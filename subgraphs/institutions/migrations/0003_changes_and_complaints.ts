import type { Knex } from '../../../kit/store.js';
import { createIdempotencyTable } from '../../../kit/idempotency.js';

export const name = '0003_changes_and_complaints';

/**
 * Written change requests and their decisions (the registry's full history: nothing is deleted), complaints
 * against institutions, and idempotency keys of this subgraph's mutations.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('institution_changes', (t) => {
    t.increments('seq').primary();
    t.string('kind', 16).notNullable();
    t.string('status', 16).notNullable();
    // Null for the onboarding of an institution not yet in the registry, until it is approved.
    t.string('institution_id', 32).references('id').inTable('institutions');
    t.string('supervising_unit_id', 32).notNullable().references('id').inTable('institutions');
    t.text('reason').notNullable();
    // The proposed details (onboarding, detail changes), as JSON.
    t.text('details');
    t.string('requested_by', 200).notNullable();
    t.timestamp('requested_at', { useTz: true }).notNullable();
    t.string('decided_by', 200);
    t.timestamp('decided_at', { useTz: true });
    t.text('decision_note');
    t.index(['institution_id', 'seq']);
    t.index(['supervising_unit_id', 'seq']);
    t.index(['status', 'seq']);
  });
  await knex.schema.createTable('complaints', (t) => {
    t.increments('seq').primary();
    t.string('institution_id', 32).notNullable().references('id').inTable('institutions');
    t.string('status', 16).notNullable();
    t.text('subject').notNullable();
    t.string('filed_by', 200).notNullable();
    t.string('filed_by_role', 16).notNullable();
    t.timestamp('filed_at', { useTz: true }).notNullable();
    t.string('outcome', 32);
    t.text('resolution_note');
    t.string('resolved_by', 200);
    t.timestamp('resolved_at', { useTz: true });
    t.index(['institution_id', 'status']);
    t.index(['institution_id', 'seq']);
  });
  await createIdempotencyTable(knex);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
  await knex.schema.dropTable('complaints');
  await knex.schema.dropTable('institution_changes');
}
