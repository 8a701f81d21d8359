/**
 * The cases' outbox is their timeline: each `case_events` row (written in the transaction of every change) becomes
 * a `case.<action>` event for the webhook relay (kit/outbox.ts). Events carry the case number and its states, never
 * party data or free text: partners read more through the API, as themselves.
 */
import type { HubConfig } from '../../kit/config.js';
import type { Logger } from '../../kit/log.js';
import { startOutboxRelay, type OutboxSource } from '../../kit/outbox.js';
import { toIso } from '../../kit/scalars.js';
import type { Knex } from '../../kit/store.js';

export const caseEvents: OutboxSource = {
  name: 'cases',
  keyColumn: 'e.id',
  select: (knex) =>
    knex('case_events as e')
      .join('cases as c', 'c.seq', 'e.case_seq')
      .select('e.id', 'e.at', 'e.action', 'e.actor_role', 'e.from_status', 'e.to_status', 'c.id as case_id'),
  keyOf: (row) => Number(row.id),
  toEvent: (row) => ({
    id: `case-event:${row.id}`,
    type: `case.${String(row.action).toLowerCase()}`,
    occurredAt: toIso(row.at)!,
    data: {
      caseId: row.case_id,
      action: row.action,
      actorRole: row.actor_role,
      fromStatus: row.from_status,
      toStatus: row.to_status,
    },
  }),
};

export function startCaseEventRelay(knex: Knex, config: HubConfig, logger: Logger) {
  return startOutboxRelay(knex, caseEvents, config, logger.child({ component: 'outbox-relay' }));
}
