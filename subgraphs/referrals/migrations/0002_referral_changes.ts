import type { Knex } from '../../../kit/store.js';
import { createIdempotencyTable } from '../../../kit/idempotency.js';
import { createDeliveryTable } from '../../../kit/outbox.js';

export const name = '0002_referral_changes';

export async function up(knex: Knex): Promise<void> {
  // Every change of a referral (who, role, when, from, to, reason), written in the changing transaction:
  // the audit trail and the outbox the webhook relay reads.
  await knex.schema.createTable('referral_events', (t) => {
    t.increments('id').primary();
    t.integer('referral_seq').notNullable().references('seq').inTable('referrals').onDelete('CASCADE');
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('action', 16).notNullable();
    t.string('actor', 64).notNullable();
    t.string('actor_role', 16).notNullable();
    t.string('from_status', 16);
    t.string('to_status', 16).notNullable();
    t.text('reason');
    t.index(['referral_seq', 'id']);
  });
  // The last referral number given out each year (RF-2026-000123).
  await knex.schema.createTable('referral_number_counters', (t) => {
    t.integer('year').primary();
    t.integer('last').notNullable();
  });
  // A case has at most one referral in a court's or commission's hands: concurrent requests cannot both land.
  await knex.raw(
    `create unique index referrals_one_open_per_case on referrals (case_id) where status in ('SUBMITTED', 'ACCEPTED')`,
  );
  // Statistics per target over a period of submission.
  await knex.schema.alterTable('referrals', (t) => {
    t.index(['target_id', 'submitted_at']);
  });
  await createIdempotencyTable(knex);
  await createDeliveryTable(knex);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('outbox_deliveries');
  await knex.schema.dropTable('idempotency_keys');
  await knex.schema.alterTable('referrals', (t) => {
    t.dropIndex(['target_id', 'submitted_at']);
  });
  await knex.raw('drop index referrals_one_open_per_case');
  await knex.schema.dropTable('referral_number_counters');
  await knex.schema.dropTable('referral_events');
}
