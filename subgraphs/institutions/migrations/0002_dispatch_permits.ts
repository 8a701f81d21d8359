import type { Knex } from '../../../kit/store.js';

export const name = '0002_dispatch_permits';

/** Every dispatch the registry allowed: which institution, for which case, at whose request, when. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dispatch_permits', (t) => {
    t.increments('id').primary();
    t.string('institution_id', 32).notNullable().references('id').inTable('institutions');
    t.string('case_id', 32).notNullable();
    t.string('supervisor', 200).notNullable();
    t.string('supervising_unit_id', 32).notNullable();
    t.timestamp('granted_at', { useTz: true }).notNullable();
    t.index(['institution_id', 'granted_at']);
    t.index(['case_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dispatch_permits');
}
