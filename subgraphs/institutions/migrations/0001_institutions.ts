import type { Knex } from '../../../kit/store.js';

export const name = '0001_institutions';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('institutions', (t) => {
    t.increments('seq').primary();
    t.string('id', 32).notNullable().unique();
    t.string('name', 100).notNullable();
    t.string('kind', 32).notNullable();
    t.string('status', 16).notNullable();
    t.string('district', 6).notNullable();
    t.string('street', 60);
    t.string('community', 60);
    t.string('supervising_unit_id', 32).references('id').inTable('institutions');
    t.string('liaison_name', 60);
    t.string('liaison_phone', 20);
    t.boolean('listed').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('status_changed_at', { useTz: true }).notNullable();
    t.unique(['district', 'name']);
    t.index(['supervising_unit_id', 'seq']);
    t.index(['district', 'seq']);
  });
  await knex.schema.createTable('institution_categories', (t) => {
    t.string('institution_id', 32).notNullable().references('id').inTable('institutions').onDelete('CASCADE');
    t.string('category', 32).notNullable();
    t.primary(['institution_id', 'category']);
    t.index(['category', 'institution_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('institution_categories');
  await knex.schema.dropTable('institutions');
}
