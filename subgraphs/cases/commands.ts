/**
 * Every change to a case, each in one transaction with its timeline event, its deadlines and its idempotency
 * record: nothing is updated without its event, and a crash leaves all of it or none of it.
 * Order of checks: input, existence, permission, idempotent replay, version, transition.
 */
import type { Knex } from '../../kit/store.js';
import { sessionOf, transaction, type StoreSession } from '../../kit/store.js';
import { nextYearlyNumber } from '../../kit/yearly-numbers.js';
import { checkExpectedVersion } from '../../kit/input.js';
import { badInput, changedMeanwhile, notFound, staleVersion } from '../../kit/errors.js';
import { oneResultPerKey, recall, remember } from '../../kit/idempotency.js';
import type { Caller } from '../../kit/principal.js';
import type { CaseStatus } from '../../kit/reference-data.js';
import { deadlineChanges, rulesEndedBy, type JurisdictionProfile } from './deadlines/deadlines.js';
import { localDate } from './deadlines/working-days.js';
import { authorize, dispatchAction, nextStatus, transitionOf, type Action } from './policy.js';
import { partyRow, toCase, type CaseRecord } from './store.js';
import { checkSubmission, notInFuture, requiredText, TEXT_LIMITS, type SubmitCaseInput } from './validation.js';
import type { ReserveDispatch } from './registry-client.js';
import { recordCaseChange } from './statistics/cells.js';
import { newRecordKey } from './statistics/disclosure.js';

export interface CommandOptions {
  regionCode: string;
  profile: JurisdictionProfile;
  clock: () => Date;
  reserveDispatch: ReserveDispatch;
  /** Where new cases' record keys come from (statistics/disclosure.ts): the cryptographic generator unless a test fixes it. */
  recordKeys?: () => number;
}

interface ChangeRequest {
  caller: Caller;
  action: Action;
  id: string;
  expectedVersion: number;
  idempotencyKey?: string | null;
  /** The mutation's own arguments, for idempotent replay. */
  input: Record<string, unknown>;
  outcome?: CaseStatus;
  reason?: string | null;
  /** Columns the move sets besides status and version. */
  columns?(now: Date, record: CaseRecord): Record<string, unknown>;
}

export interface ImportReport {
  created: CaseRecord[];
  existing: CaseRecord[];
  errors: { index: number; field: string; message: string }[];
}

export const MAX_IMPORT = 1000;

/** A timeline event's row: who, in which role, when, from which state to which, and why. */
function eventRow(
  seq: number,
  action: Action,
  caller: Caller,
  from: string | null,
  to: string,
  at: Date,
  reason: string | null,
): Record<string, unknown> {
  return {
    case_seq: seq,
    at: at.toISOString(),
    action,
    actor: caller.principal.sub,
    actor_role: caller.principal.role,
    from_status: from,
    to_status: to,
    reason,
  };
}

export class CaseCommands {
  /** Actions that start or end some time limit of the profile; others leave deadlines alone without a query. */
  private readonly timedActions: Set<string>;

  constructor(
    private readonly knex: Knex,
    private readonly options: CommandOptions,
  ) {
    this.timedActions = new Set(options.profile.rules.flatMap((r) => [...r.startsOn, ...r.endsOn]));
  }

  private now(): Date {
    return this.options.clock();
  }

  /** The case row, locked for the rest of the transaction where the database can (sqlite serializes writers anyway). */
  private async load(session: StoreSession, id: string): Promise<CaseRecord | null> {
    const row = await session.get(`select * from cases where id = ? limit 1${session.forUpdate}`, [id]);
    return row ? toCase(row) : null;
  }

  private async writeEvent(session: StoreSession, event: Record<string, unknown>): Promise<void> {
    const columns = Object.keys(event);
    await session.run(
      `insert into case_events (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`,
      columns.map((c) => event[c]),
    );
  }

  private async moveDeadlines(session: StoreSession, seq: number, action: Action, at: Date): Promise<void> {
    if (!this.timedActions.has(action)) return;
    // The running instances of the rules this action ends are closed by one statement, without reading them first.
    const ended = rulesEndedBy(this.options.profile, action);
    if (ended.length)
      await session.run(
        `update case_deadlines set met_at = ? where case_seq = ? and met_at is null and rule in (${ended.map(() => '?').join(', ')})`,
        [at.toISOString(), seq, ...ended],
      );
    for (const d of deadlineChanges(this.options.profile, [], action, at).start) {
      await session.run('insert into case_deadlines (case_seq, rule, started_at, due_at) values (?, ?, ?, ?)', [
        seq,
        d.rule,
        d.startedAt.toISOString(),
        d.dueAt.toISOString(),
      ]);
    }
  }

  /** The next unified case number of the year: region, year, zero-padded sequence (kit/yearly-numbers.ts). */
  private nextNumber(trx: Knex.Transaction, at: Date): Promise<string> {
    return nextYearlyNumber(
      trx,
      {
        counters: 'case_number_counters',
        records: 'cases',
        idColumn: 'id',
        prefix: `${this.options.regionCode}-`,
        width: 7,
      },
      Number(localDate(at).slice(0, 4)),
    );
  }

  private async insertCase(
    trx: Knex.Transaction,
    caller: Caller,
    input: SubmitCaseInput,
    now: Date,
  ): Promise<CaseRecord> {
    const id = await this.nextNumber(trx, now);
    const [inserted] = await trx('cases')
      .insert({
        id,
        status: 'SUBMITTED',
        category: input.category,
        channel: input.channel,
        district: input.district,
        external_ref: input.externalRef,
        submitted_at: now.toISOString(),
        occurred_at: input.occurredAt,
        place: input.place,
        claims: input.claims,
        description: input.description,
        version: 1,
        record_key: (this.options.recordKeys ?? newRecordKey)(),
        submitted_by: caller.principal.sub,
      })
      .returning('seq');
    const seq = Number(typeof inserted === 'object' ? (inserted as { seq: number }).seq : inserted);
    await trx('parties').insert(input.parties.map((p) => partyRow(seq, p)));
    const session = sessionOf(trx);
    await this.writeEvent(session, eventRow(seq, 'SUBMIT', caller, null, 'SUBMITTED', now, null));
    await this.moveDeadlines(session, seq, 'SUBMIT', now);
    const created = toCase(await trx('cases').where('seq', seq).first());
    await recordCaseChange(trx, null, created);
    return created;
  }

  private async existingImport(trx: Knex.Transaction, input: SubmitCaseInput): Promise<CaseRecord | null> {
    if (!input.externalRef) return null;
    const row = await trx('cases').where({ channel: input.channel, external_ref: input.externalRef }).first();
    return row ? toCase(row) : null;
  }

  async submit(caller: Caller, rawInput: SubmitCaseInput, idempotencyKey?: string | null): Promise<CaseRecord> {
    authorize(transitionOf('SUBMIT'), caller.principal, null);
    const now = this.now();
    const input = checkSubmission('input', rawInput, now);
    const request = { principal: caller.principal, key: idempotencyKey, operation: 'submitCase', input: rawInput };
    return oneResultPerKey(this.knex, request, () =>
      this.knex.transaction(async (trx) => {
        const earlier = await recall<CaseRecord>(trx, request);
        if (earlier) return earlier;
        const result = (await this.existingImport(trx, input)) ?? (await this.insertCase(trx, caller, input, now));
        await remember(trx, request, result);
        return result;
      }),
    );
  }

  /** Up to 1,000 submissions in one transaction; invalid items are reported by index and field, valid ones kept. */
  async importMany(caller: Caller, inputs: SubmitCaseInput[]): Promise<ImportReport> {
    authorize(transitionOf('SUBMIT'), caller.principal, null);
    if (inputs.length === 0 || inputs.length > MAX_IMPORT)
      throw badInput('inputs', `must hold 1 to ${MAX_IMPORT} cases (got ${inputs.length})`);
    const now = this.now();
    const report: ImportReport = { created: [], existing: [], errors: [] };
    const checked: { index: number; input: SubmitCaseInput }[] = [];
    inputs.forEach((raw, index) => {
      try {
        checked.push({ index, input: checkSubmission(`inputs[${index}]`, raw, now) });
      } catch (error) {
        const extensions = (error as { extensions?: { field?: string } }).extensions;
        report.errors.push({
          index,
          field: extensions?.field ?? `inputs[${index}]`,
          message: (error as Error).message,
        });
      }
    });
    await this.knex.transaction(async (trx) => {
      // An externalRef seen before, in the store or earlier in this batch, is the same case: reported as existing.
      for (const { input } of checked) {
        const existing = await this.existingImport(trx, input);
        if (existing) {
          report.existing.push(existing);
          continue;
        }
        report.created.push(await this.insertCase(trx, caller, input, now));
      }
    });
    return report;
  }

  private async change(
    request: ChangeRequest,
    preflight?: (record: CaseRecord) => Promise<Record<string, unknown>>,
  ): Promise<CaseRecord> {
    const { caller, id } = request;
    // The role first, before the case is looked up: a caller in the wrong role learns nothing of the case either.
    authorize(transitionOf(request.action), caller.principal, null);
    checkExpectedVersion(request.expectedVersion);
    const idem = {
      principal: caller.principal,
      key: request.idempotencyKey,
      operation: transitionOf(request.action).mutation,
      input: request.input,
    };

    // Checks that need another system (the registry) run before the transaction, which stays short.
    let extra: Record<string, unknown> = {};
    if (preflight) {
      const seen = await transaction(this.knex, async (session) => {
        const record = await this.load(session, id);
        if (!record) throw notFound('case');
        authorize(transitionOf(request.action), caller.principal, record);
        const earlier = await recall<CaseRecord>(session, idem);
        // An illegal move is refused here already, without asking the other system.
        if (!earlier)
          nextStatus(
            transitionOf(request.action === 'DISPATCH' ? dispatchAction(record.status) : request.action),
            record.status,
            request.outcome,
            record.respondentWilling,
          );
        return { record, earlier };
      });
      if (seen.earlier) return seen.earlier;
      extra = await preflight(seen.record);
    }

    // One way to write the change, on either store: the same statements, in one transaction.
    return transaction(this.knex, async (session) => {
      const record = await this.load(session, id);
      if (!record) throw notFound('case');
      const action = request.action === 'DISPATCH' ? dispatchAction(record.status) : request.action;
      const transition = transitionOf(action);
      authorize(transition, caller.principal, record);
      const earlier = await recall<CaseRecord>(session, idem);
      if (earlier) return earlier;
      if (record.version !== request.expectedVersion)
        throw staleVersion('case', record.version, request.expectedVersion);
      const status = nextStatus(transition, record.status, request.outcome, record.respondentWilling);
      const now = this.now();
      const set: Record<string, unknown> = {
        ...(request.columns?.(now, record) ?? {}),
        ...extra,
        status,
        version: record.version + 1,
      };
      const columns = Object.keys(set);
      const row = await session.get(
        `update cases set ${columns.map((c) => `"${c}" = ?`).join(', ')} where seq = ? and version = ? returning *`,
        [...columns.map((c) => set[c]), record.seq, record.version],
      );
      if (!row) throw changedMeanwhile('case');
      await this.writeEvent(
        session,
        eventRow(record.seq, action, caller, record.status, status, now, request.reason ?? null),
      );
      await this.moveDeadlines(session, record.seq, action, now);
      const result = toCase(row);
      await recordCaseChange(session, record, result);
      await remember(session, idem, result);
      return result;
    });
  }

  dispatch(caller: Caller, id: string, institutionId: string, expectedVersion: number, idempotencyKey?: string | null) {
    const target = requiredText('institutionId', institutionId, 32);
    return this.change(
      {
        caller,
        action: 'DISPATCH',
        id,
        expectedVersion,
        idempotencyKey,
        input: { id, institutionId, expectedVersion },
      },
      async (record) => {
        if (record.institutionId === target)
          throw badInput('institutionId', 'the case is already assigned to this institution');
        const permit = await this.options.reserveDispatch(target, id, caller.authorization, caller.requestId);
        return {
          institution_id: permit.institutionId,
          supervising_unit_id: permit.supervisingUnitId,
          dispatched_at: this.now().toISOString(),
          // A new institution starts afresh with the respondent.
          respondent_contacted_at: null,
          respondent_willing: null,
        };
      },
    );
  }

  recordRespondentContact(
    caller: Caller,
    id: string,
    contactedAt: string,
    willing: boolean,
    expectedVersion: number,
    idempotencyKey?: string | null,
  ) {
    notInFuture('contactedAt', contactedAt, this.now());
    return this.change({
      caller,
      action: 'CONTACT_RESPONDENT',
      id,
      expectedVersion,
      idempotencyKey,
      input: { id, contactedAt, willing, expectedVersion },
      reason: willing ? null : 'respondent declined mediation',
      columns: (_now, record) => {
        if (record.dispatchedAt && contactedAt < record.dispatchedAt)
          throw badInput('contactedAt', 'is before the case was dispatched to this institution');
        return { respondent_contacted_at: contactedAt, respondent_willing: willing };
      },
    });
  }

  accept(caller: Caller, id: string, expectedVersion: number, idempotencyKey?: string | null) {
    return this.change({
      caller,
      action: 'ACCEPT',
      id,
      expectedVersion,
      idempotencyKey,
      input: { id, expectedVersion },
      columns: (now) => ({ accepted_at: now.toISOString() }),
    });
  }

  reject(caller: Caller, id: string, reason: string, expectedVersion: number, idempotencyKey?: string | null) {
    const text = requiredText('reason', reason, TEXT_LIMITS.reason);
    return this.change({
      caller,
      action: 'REJECT',
      id,
      expectedVersion,
      idempotencyKey,
      input: { id, reason, expectedVersion },
      reason: text,
      columns: (now) => ({ rejection_reason: text, closed_at: now.toISOString() }),
    });
  }

  close(
    caller: Caller,
    id: string,
    outcome: 'RESOLVED' | 'UNRESOLVED',
    agreementSubject: string | null | undefined,
    remedies: string | null | undefined,
    expectedVersion: number,
    idempotencyKey?: string | null,
  ) {
    const subject =
      outcome === 'RESOLVED' ? requiredText('agreementSubject', agreementSubject, TEXT_LIMITS.agreementSubject) : null;
    const told = outcome === 'UNRESOLVED' ? requiredText('remedies', remedies, TEXT_LIMITS.remedies) : null;
    return this.change({
      caller,
      action: 'CLOSE',
      id,
      expectedVersion,
      idempotencyKey,
      outcome,
      input: { id, outcome, agreementSubject, remedies, expectedVersion },
      columns: (now) => ({ agreement_subject: subject, remedies: told, closed_at: now.toISOString() }),
    });
  }

  withdraw(caller: Caller, id: string, reason: string, expectedVersion: number, idempotencyKey?: string | null) {
    const text = requiredText('reason', reason, TEXT_LIMITS.reason);
    return this.change({
      caller,
      action: 'WITHDRAW',
      id,
      expectedVersion,
      idempotencyKey,
      input: { id, reason, expectedVersion },
      reason: text,
      columns: (now) => ({ closed_at: now.toISOString() }),
    });
  }
}
