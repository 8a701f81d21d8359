import type { Knex } from '../../../kit/store.js';

export const name = '0006_deadline_lookup';

/**
 * A case's running limits by (case, met, due): every change reads its case's earliest running limit and marks
 * limits met. With only (case_seq) and (met_at, due_at) to choose from, sqlite's planner took the second for
 * `where case_seq = ? and met_at is null order by due_at`, walking every running limit of every case: ~270 µs a
 * change at 20,000 cases, growing with the store. This index answers both statements from one seek.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('case_deadlines', (t) => {
    t.index(['case_seq', 'met_at', 'due_at']);
  });
  // The new index leads with case_seq, so it serves every lookup the old one did.
  await knex.schema.alterTable('case_deadlines', (t) => {
    t.dropIndex(['case_seq']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('case_deadlines', (t) => {
    t.index(['case_seq']);
  });
  await knex.schema.alterTable('case_deadlines', (t) => {
    t.dropIndex(['case_seq', 'met_at', 'due_at']);
  });
}
