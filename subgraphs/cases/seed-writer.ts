/** Writes generated demo cases into this subgraph's store, with their parties and timelines, a batch a transaction. */
import { insertChunked, resyncSerial, type Knex } from '../../kit/store.js';
import { partyRow, type CaseEventRecord, type CaseRecord, type PartyRecord } from './store.js';
import { deadlineChanges, type JurisdictionProfile } from './deadlines/deadlines.js';
import { contributionOf, CubeDelta, runningRow } from './statistics/cells.js';
import { newRecordKey } from './statistics/disclosure.js';

/**
 * A seeded case is a whole record, its key included, with its parties and timeline (the first event its SUBMIT). Its
 * record key is drawn here unless given: the demo world gives its own, from its seed, so its figures are the same on
 * every machine.
 */
export type CaseSeed = Omit<CaseRecord, 'recordKey' | 'submittedBy'> & {
  recordKey?: number;
  parties: Omit<PartyRecord, 'id' | 'caseSeq'>[];
  events: Omit<CaseEventRecord, 'caseSeq'>[];
};

/** The deadline rows a case's history makes under a profile: its events replayed through the same rules as live mutations. */
function deadlinesOf(c: CaseSeed, profile: JurisdictionProfile) {
  const rows: { id: number; rule: string; started_at: string; due_at: string; met_at: string | null }[] = [];
  for (const event of c.events) {
    const at = new Date(event.at);
    const { end, start } = deadlineChanges(
      profile,
      rows.filter((r) => r.met_at === null),
      event.action,
      at,
    );
    for (const row of rows) if (end.includes(row.id)) row.met_at = event.at;
    for (const d of start)
      rows.push({ id: rows.length, rule: d.rule, started_at: event.at, due_at: d.dueAt.toISOString(), met_at: null });
  }
  return rows.map(({ id: _id, ...row }) => ({ case_seq: c.seq, ...row }));
}

export async function writeCaseBatch(knex: Knex, seeds: CaseSeed[], profile: JurisdictionProfile): Promise<void> {
  const cases = seeds.map((c) => ({
    ...c,
    recordKey: c.recordKey ?? newRecordKey(),
    submittedBy: c.events[0]?.actor ?? null,
  }));
  await knex.transaction(async (trx) => {
    await insertChunked(
      trx,
      'cases',
      cases.map((c) => ({
        seq: c.seq,
        id: c.id,
        status: c.status,
        category: c.category,
        channel: c.channel,
        district: c.district,
        external_ref: c.externalRef,
        submitted_at: c.submittedAt,
        dispatched_at: c.dispatchedAt,
        accepted_at: c.acceptedAt,
        closed_at: c.closedAt,
        occurred_at: c.occurredAt,
        place: c.place,
        claims: c.claims,
        description: c.description,
        agreement_subject: c.agreementSubject,
        remedies: c.remedies,
        rejection_reason: c.rejectionReason,
        institution_id: c.institutionId,
        supervising_unit_id: c.supervisingUnitId,
        version: c.version,
        respondent_contacted_at: c.respondentContactedAt,
        respondent_willing: c.respondentWilling,
        record_key: c.recordKey,
        submitted_by: c.submittedBy,
      })),
    );
    const deadlines = cases.map((c) => deadlinesOf(c, profile));
    await insertChunked(trx, 'case_deadlines', deadlines.flat());
    await insertChunked(
      trx,
      'parties',
      cases.flatMap((c) => c.parties.map((p) => partyRow(c.seq, p))),
    );
    await insertChunked(
      trx,
      'case_events',
      cases.flatMap((c) =>
        c.events.map((e) => ({
          case_seq: c.seq,
          at: e.at,
          action: e.action,
          actor: e.actor,
          actor_role: e.actorRole,
          from_status: e.fromStatus,
          to_status: e.toStatus,
          reason: e.reason,
        })),
      ),
    );
    // The statistics cube, as the same cases submitted and changed live would have made it.
    const delta = new CubeDelta();
    for (const c of cases) delta.add(contributionOf(c), 1);
    await delta.apply(trx);
    await insertChunked(
      trx,
      'case_stats_running',
      cases.flatMap((c, i) => {
        const due =
          deadlines[i]!.filter((d) => d.met_at === null)
            .map((d) => d.due_at)
            .sort()[0] ?? null;
        const row = runningRow(c, due);
        return row ? [row] : [];
      }),
    );
  });
}

export async function finishCaseSeeding(knex: Knex): Promise<void> {
  await resyncSerial(knex, 'cases', 'seq');
}
