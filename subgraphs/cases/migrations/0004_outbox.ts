import type { Knex } from '../../../kit/store.js';
import { addCommitOrderColumn, createDeliveryTable } from '../../../kit/outbox.js';

export const name = '0004_outbox';

/** The timeline (`case_events`) is the cases' outbox: the relay needs its commit order and a delivery table. */
export async function up(knex: Knex): Promise<void> {
  await addCommitOrderColumn(knex, 'case_events');
  await createDeliveryTable(knex);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('outbox_deliveries');
  if (knex.client.config.client === 'pg') await knex.schema.alterTable('case_events', (t) => { t.dropColumn('tx'); });
}
