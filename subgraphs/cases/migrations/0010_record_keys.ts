import { insertChunked, type Knex } from '../../../kit/store.js';
import { CubeDelta, contributionOf, COUNTERS, KEY_SUM_COLUMNS } from '../statistics/cells.js';
import { newRecordKey } from '../statistics/disclosure.js';
import { toCase } from '../store.js';

export const name = '0010_record_keys';

const COVERING_INDEXES = {
  case_stats_cells_institution_figures: ['institution_id', 'status', 'month'],
  case_stats_cells_district_figures: ['district', 'month', 'status'],
};
const CHUNK = 2000;

/**
 * The cell-key method (statistics/disclosure.ts): every case gets a secret random record key, and the cube keeps
 * the key sums of each atom's counters beside them. Existing cases get their keys here, from the same generator as
 * new ones, and the cube's key sums are added from them, so the cube stays equal to a recount. The covering indexes
 * of 0008 gain the key sums, so statistics still never visit the table. `submitted_by` records who submitted a case
 * (an intake desk's own work, privacy/row-scope.ts), taken from each case's SUBMIT event.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('cases', (t) => {
    t.bigInteger('record_key').notNullable().defaultTo(0);
    t.string('submitted_by', 128);
    t.index(['submitted_by', 'seq']);
  });
  await knex.schema.alterTable('case_stats_cells', (t) => {
    for (const column of KEY_SUM_COLUMNS) t.bigInteger(column).notNullable().defaultTo(0);
  });
  await knex.schema.alterTable('case_stats_running', (t) => {
    t.bigInteger('record_key').notNullable().defaultTo(0);
  });

  await assignRecordKeys(knex);
  await knex.raw(
    `update cases set submitted_by = (select e.actor from case_events e where e.case_seq = cases.seq and e.action = 'SUBMIT' order by e.id limit 1)`,
  );
  for (const [index, columns] of Object.entries(COVERING_INDEXES)) {
    await knex.schema.alterTable('case_stats_cells', (t) => {
      t.dropIndex([], index);
    });
    await knex.schema.alterTable('case_stats_cells', (t) => {
      t.index([...columns, ...COUNTERS, ...KEY_SUM_COLUMNS], index);
    });
  }
}

/**
 * Gives every case of a store whose keys are all 0 (as the columns above start) a fresh key, and adds them to the
 * cube's key sums and the running-limits rows. Exported for test/figures-key-sums-match-recount.test.ts.
 */
export async function assignRecordKeys(knex: Knex): Promise<void> {
  await knex.raw('create temporary table new_record_keys (seq integer primary key, record_key bigint not null)');
  const delta = new CubeDelta();
  for (let after = 0; ;) {
    const rows = await knex('cases').where('seq', '>', after).orderBy('seq').limit(CHUNK);
    if (rows.length === 0) break;
    after = Number(rows.at(-1).seq);
    const keyed = rows.map((row: Record<string, unknown>) => ({
      seq: Number(row.seq),
      record_key: newRecordKey(),
      row,
    }));
    await insertChunked(
      knex as Knex.Transaction,
      'new_record_keys',
      keyed.map(({ seq, record_key }) => ({ seq, record_key })),
    );
    for (const { record_key, row } of keyed) {
      // Only the key sums move: the counters are in the cube already.
      const contribution = contributionOf({ ...toCase(row), recordKey: record_key });
      delta.add(
        {
          ...contribution,
          counters: { n: 0, accepted: 0, dispatched: 0, responded_48h: 0, mediated_30d: 0 },
          closureDays: null,
        },
        1,
      );
    }
  }
  await knex.raw(
    'update cases set record_key = (select k.record_key from new_record_keys k where k.seq = cases.seq) where seq in (select seq from new_record_keys)',
  );
  await knex.raw('drop table new_record_keys');
  await delta.apply(knex);
  await knex.raw(
    'update case_stats_running set record_key = (select c.record_key from cases c where c.seq = case_stats_running.case_seq)',
  );
}

export async function down(knex: Knex): Promise<void> {
  for (const [index, columns] of Object.entries(COVERING_INDEXES)) {
    await knex.schema.alterTable('case_stats_cells', (t) => {
      t.dropIndex([], index);
    });
    await knex.schema.alterTable('case_stats_cells', (t) => {
      t.index([...columns, ...COUNTERS], index);
    });
  }
  await knex.schema.alterTable('case_stats_running', (t) => {
    t.dropColumn('record_key');
  });
  await knex.schema.alterTable('case_stats_cells', (t) => {
    for (const column of KEY_SUM_COLUMNS) t.dropColumn(column);
  });
  await knex.schema.alterTable('cases', (t) => {
    t.dropIndex(['submitted_by', 'seq']);
    t.dropColumn('submitted_by');
    t.dropColumn('record_key');
  });
}
