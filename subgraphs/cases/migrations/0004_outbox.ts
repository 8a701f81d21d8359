import type { Knex } from '../../../kit/store.js';
import { createDeliveryTable } from '../../../kit/outbox.js';

export const name = '0004_outbox';

/** The timeline (`case_events`) is the cases' outbox: the relay keeps each subscriber's delivery state here. */
export async function up(knex: Knex): Promise<void> {
  await createDeliveryTable(knex);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('outbox_deliveries');
}
