/**
 * The referrals' outbox: each row of `referral_events` (written with every change) becomes a `referral.<action>`
 * event for the webhook relay (kit/outbox.ts). Events carry identifiers, states and results, never free text
 * (a decline reason may name a party): partners read more through the API, as themselves.
 */
import type { HubConfig } from '../../kit/config.js';
import type { Logger } from '../../kit/log.js';
import { startOutboxRelay, type OutboxSource } from '../../kit/outbox.js';
import { toIso } from '../../kit/scalars.js';
import type { Knex } from '../../kit/store.js';

export const referralEvents: OutboxSource = {
  name: 'referrals',
  keyColumn: 'e.id',
  select: (knex) =>
    knex('referral_events as e')
      .join('referrals as r', 'r.seq', 'e.referral_seq')
      .select(
        'e.id',
        'e.at',
        'e.action',
        'e.actor_role',
        'e.from_status',
        'e.to_status',
        'r.id as referral_id',
        'r.case_id',
        'r.kind',
        'r.target_id',
        'r.requested_by',
        'r.result',
        'r.decided_at',
        'r.document_number',
      ),
  keyOf: (row) => Number(row.id),
  toEvent: (row) => ({
    id: `referral-event:${row.id}`,
    type: `referral.${String(row.action).toLowerCase()}`,
    occurredAt: toIso(row.at)!,
    data: {
      referralId: row.referral_id,
      caseId: row.case_id,
      kind: row.kind,
      targetId: row.target_id,
      requestedBy: row.requested_by,
      actorRole: row.actor_role,
      fromStatus: row.from_status,
      toStatus: row.to_status,
      // A decision is final, so the referral's current result is the one this event made.
      ...(row.action === 'DECIDE'
        ? { result: row.result, decidedAt: toIso(row.decided_at), documentNumber: row.document_number }
        : {}),
    },
  }),
};

export function startReferralEventRelay(knex: Knex, config: HubConfig, logger: Logger) {
  return startOutboxRelay(knex, referralEvents, config, logger.child({ component: 'outbox-relay' }));
}
