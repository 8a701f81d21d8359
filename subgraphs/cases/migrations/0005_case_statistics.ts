import type { Knex } from '../../../kit/store.js';
import { ATOM_KEY } from '../statistics/cells.js';

export const name = '0005_case_statistics';

/**
 * The statistics cube, kept by every case change in the same transaction (statistics/cells.ts): one row per atom
 * (submission month × institution × supervising unit × district × category × channel × status) with its counters
 * and its days-to-closure histogram. Unassigned cases have '' as institution and unit, so the key is
 * a plain primary key.
 */
export async function up(knex: Knex): Promise<void> {
  const keyColumns = (t: Knex.CreateTableBuilder) => {
    t.string('month', 7).notNullable();
    t.string('institution_id', 32).notNullable();
    t.string('supervising_unit_id', 32).notNullable();
    t.string('district', 6).notNullable();
    t.string('category', 32).notNullable();
    t.string('channel', 8).notNullable();
    t.string('status', 16).notNullable();
  };
  await knex.schema.createTable('case_stats_cells', (t) => {
    keyColumns(t);
    t.integer('n').notNullable();
    t.integer('accepted').notNullable();
    t.integer('dispatched').notNullable();
    t.integer('responded_48h').notNullable();
    t.integer('mediated_30d').notNullable();
    // The atom's days-to-closure histogram: one `<days>,` entry per closed mediation (statistics/cells.ts).
    t.text('closure_days').notNullable().defaultTo('');
    t.primary([...ATOM_KEY]);
    t.index(['institution_id', 'month']);
    t.index(['supervising_unit_id', 'month']);
    t.index(['district', 'month']);
  });
  // Open cases with a running time limit: the earliest due time and the case's atom, so "overdue now" is a range
  // read of a narrow table instead of a walk from the deadline index into the wide cases table.
  await knex.schema.createTable('case_stats_running', (t) => {
    t.integer('case_seq').primary().references('seq').inTable('cases').onDelete('CASCADE');
    t.timestamp('due_at', { useTz: true }).notNullable();
    keyColumns(t);
    t.index(['due_at']);
    t.index(['institution_id', 'due_at']);
    t.index(['district', 'due_at']);
    t.index(['supervising_unit_id', 'due_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('case_stats_running');
  await knex.schema.dropTable('case_stats_cells');
}
