import type { Knex } from '../../../kit/store.js';

export const name = '0003_privacy';

export async function up(knex: Knex): Promise<void> {
  // Party searches (by exact name or ID number) need these; they are allowed only with clearance.
  await knex.schema.alterTable('parties', (t) => {
    t.index(['name']);
    t.index(['id_number']);
  });
  await knex.schema.createTable('consent_grants', (t) => {
    t.increments('seq').primary();
    t.string('id', 40).notNullable().unique();
    t.string('grantee', 128).notNullable();
    t.string('categories', 200).notNullable();
    t.string('purpose', 500).notNullable();
    t.string('scope_institution_id', 32);
    t.string('scope_district', 6);
    t.string('scope_case_id', 32);
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.string('granted_by', 128).notNullable();
    t.timestamp('granted_at', { useTz: true }).notNullable();
    t.string('revoked_by', 128);
    t.timestamp('revoked_at', { useTz: true });
    t.index(['grantee']);
  });
  // Append-only and hash-chained: each record's hash covers the previous record's hash.
  await knex.schema.createTable('audit_events', (t) => {
    t.increments('seq').primary();
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('request_id', 128).notNullable();
    t.string('principal', 128).notNullable();
    t.string('role', 16).notNullable();
    t.string('org', 32);
    t.string('decision', 16).notNullable();
    t.string('categories', 200).notNullable();
    t.text('case_ids').notNullable();
    t.string('operation', 128);
    t.string('document_hash', 64);
    t.string('detail', 200);
    t.string('prev_hash', 64).notNullable();
    t.string('hash', 64).notNullable();
    t.index(['at']);
    t.index(['principal', 'seq']);
  });
  // The chain's newest hash, kept apart so that deleting the newest records is detected too.
  await knex.schema.createTable('audit_head', (t) => {
    t.integer('id').primary();
    t.integer('seq').notNullable();
    t.string('hash', 64).notNullable();
  });
  // Where the chain starts after old records passed their retention and were pruned.
  await knex.schema.createTable('audit_checkpoints', (t) => {
    t.increments('id').primary();
    t.integer('first_seq').notNullable();
    t.string('prev_hash', 64).notNullable();
    t.timestamp('pruned_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_head', 'audit_checkpoints', 'audit_events', 'consent_grants'])
    await knex.schema.dropTable(table);
}
