/**
 * Every change to a referral, each in one transaction with its history event (the audit trail and the outbox) and
 * its idempotency record. Order of checks, as for cases: input, existence, permission, idempotent replay, version,
 * transition. Preconditions on the case and the target are asked of their own registries (partners.ts).
 */
import type { Knex } from '../../kit/store.js';
import { isUniqueViolation, lockingRows } from '../../kit/store.js';
import { badInput, changedMeanwhile, conflict, forbidden, notFound, staleVersion } from '../../kit/errors.js';
import { oneResultPerKey, recall, remember, type IdempotentRequest } from '../../kit/idempotency.js';
import { checkExpectedVersion, notInFuture, requiredText } from '../../kit/input.js';
import type { Caller } from '../../kit/principal.js';
import { nextYearlyNumber } from '../../kit/yearly-numbers.js';
import { raiseGenerationIn } from '../../kit/generation.js';
import {
  authorize,
  checkArbitrationAgreement,
  checkCaseStatus,
  checkResult,
  checkTarget,
  KINDS,
  kindRule,
  nextStatus,
  OPEN_STATUSES,
  rolesFor,
  transitionOf,
  type Action,
  type ReferralKind,
} from './policy.js';
import type { Partners } from './offices-client.js';
import { REFERRALS_GENERATION, toReferral, type ReferralRecord } from './store.js';

export interface RequestReferralArgs {
  caseId: string;
  kind: string;
  targetId: string;
  arbitrationAgreement?: string | null;
  idempotencyKey?: string | null;
}

const LIMITS = { id: 32, reason: 500, documentNumber: 64 } as const;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

interface MoveRequest {
  caller: Caller;
  action: Exclude<Action, 'REQUEST'>;
  id: string;
  expectedVersion: number;
  idempotencyKey?: string | null;
  input: Record<string, unknown>;
  reason?: string | null;
  /** Columns the move sets besides status and version; may refuse the input against the record. */
  columns(now: Date, record: ReferralRecord): Record<string, unknown>;
}

function shanghaiDay(iso: string): string {
  return new Date(Date.parse(iso) + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

export class ReferralCommands {
  constructor(
    private readonly knex: Knex,
    private readonly partners: Partners,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private async load(trx: Knex.Transaction, id: string): Promise<ReferralRecord | null> {
    const row = await lockingRows(this.knex, trx('referrals').where('id', id)).first();
    return row ? toReferral(row) : null;
  }

  /** Every referral write records its event here, and so raises the referrals' generation: figures kept under an older one are stale. */
  private async writeEvent(
    trx: Knex.Transaction,
    seq: number,
    action: Action,
    caller: Caller,
    from: string | null,
    to: string,
    at: Date,
    reason: string | null,
  ) {
    await raiseGenerationIn(trx, REFERRALS_GENERATION);
    await trx('referral_events').insert({
      referral_seq: seq,
      at: at.toISOString(),
      action,
      actor: caller.principal.sub,
      actor_role: caller.principal.role,
      from_status: from,
      to_status: to,
      reason,
    });
  }

  /** The assigned institution asks for a referral of its closed case to a court or commission. */
  async request(caller: Caller, args: RequestReferralArgs): Promise<ReferralRecord> {
    const transition = transitionOf('REQUEST');
    const rule = kindRule(args.kind);
    const kind = args.kind as ReferralKind;
    authorize(transition, rule, caller.principal, null);
    const caseId = requiredText('caseId', args.caseId, LIMITS.id);
    const targetId = requiredText('targetId', args.targetId, LIMITS.id);
    const agreement = checkArbitrationAgreement(kind, args.arbitrationAgreement);
    const idem: IdempotentRequest = {
      principal: caller.principal,
      key: args.idempotencyKey,
      operation: transition.mutation,
      input: {
        caseId: args.caseId,
        kind: args.kind,
        targetId: args.targetId,
        arbitrationAgreement: args.arbitrationAgreement ?? null,
      },
    };

    const facts = await this.partners.caseFacts(caseId, caller);
    if (!facts) throw notFound('case');
    authorize(transition, rule, caller.principal, facts.institutionId ?? '');
    const earlier = await this.knex.transaction((trx) => recall<ReferralRecord>(trx, idem));
    if (earlier) return earlier;
    // Closed cases are terminal, so this answer cannot change before the insert below (see partners.ts).
    checkCaseStatus(kind, facts.status);
    checkTarget(kind, await this.partners.institutionFacts(targetId, caller));

    try {
      return await oneResultPerKey(this.knex, idem, () =>
        this.knex.transaction(async (trx) => {
          const replay = await recall<ReferralRecord>(trx, idem);
          if (replay) return replay;
          const open = await trx('referrals')
            .where('case_id', caseId)
            .whereIn('status', OPEN_STATUSES as string[])
            .first('id', 'status');
          if (open) throw this.alreadyOpen(caseId, open.id);
          const now = this.clock();
          const id = await nextYearlyNumber(
            trx,
            { counters: 'referral_number_counters', records: 'referrals', idColumn: 'id', prefix: 'RF-', width: 6 },
            new Date(now.getTime() + SHANGHAI_OFFSET_MS).getUTCFullYear(),
          );
          const [row] = await trx('referrals').insert(
            {
              id,
              case_id: caseId,
              kind,
              status: transition.to,
              target_id: targetId,
              requested_by: facts.institutionId,
              submitted_at: now.toISOString(),
              arbitration_agreement: agreement,
              version: 1,
            },
            '*',
          );
          const record = toReferral(row);
          await this.writeEvent(trx, record.seq, 'REQUEST', caller, null, transition.to, now, null);
          await remember(trx, idem, record);
          return record;
        }),
      );
    } catch (error) {
      // The unique index caught a request that ran alongside another for the same case (PostgreSQL).
      if (isUniqueViolation(error)) throw this.alreadyOpen(caseId, null);
      throw error;
    }
  }

  private alreadyOpen(caseId: string, referralId: string | null) {
    return conflict(
      `the case already has a referral in a court's or commission's hands${referralId ? ` (${referralId})` : ''}: wait for its decision or decline`,
      referralId ? { openReferral: referralId } : {},
    );
  }

  private async move(request: MoveRequest): Promise<ReferralRecord> {
    const { caller, id } = request;
    const transition = transitionOf(request.action);
    if (!rolesFor(transition).has(caller.principal.role as never))
      throw forbidden(`${transition.mutation} needs role ${[...rolesFor(transition)].join(' or ')}`);
    const referralId = requiredText('id', id, LIMITS.id);
    checkExpectedVersion(request.expectedVersion);
    const idem: IdempotentRequest = {
      principal: caller.principal,
      key: request.idempotencyKey,
      operation: transition.mutation,
      input: request.input,
    };
    return this.knex.transaction(async (trx) => {
      const record = await this.load(trx, referralId);
      if (!record) throw notFound('referral');
      authorize(transition, KINDS[record.kind as ReferralKind], caller.principal, record.targetId);
      const earlier = await recall<ReferralRecord>(trx, idem);
      if (earlier) return earlier;
      if (record.version !== request.expectedVersion) {
        throw staleVersion('referral', record.version, request.expectedVersion);
      }
      const status = nextStatus(transition, record.status);
      const now = this.clock();
      const columns = request.columns(now, record);
      const [row] = await trx('referrals')
        .where({ seq: record.seq, version: record.version })
        .update({ ...columns, status, version: record.version + 1 }, '*');
      if (!row) throw changedMeanwhile('referral');
      await this.writeEvent(
        trx,
        record.seq,
        request.action,
        caller,
        record.status,
        status,
        now,
        request.reason ?? null,
      );
      const result = toReferral(row);
      await remember(trx, idem, result);
      return result;
    });
  }

  accept(caller: Caller, id: string, expectedVersion: number, idempotencyKey?: string | null) {
    return this.move({
      caller,
      action: 'ACCEPT',
      id,
      expectedVersion,
      idempotencyKey,
      input: { id, expectedVersion },
      columns: (now) => ({ accepted_at: now.toISOString() }),
    });
  }

  decline(caller: Caller, id: string, reason: string, expectedVersion: number, idempotencyKey?: string | null) {
    const text = requiredText('reason', reason, LIMITS.reason);
    return this.move({
      caller,
      action: 'DECLINE',
      id,
      expectedVersion,
      idempotencyKey,
      input: { id, reason, expectedVersion },
      reason: text,
      columns: (now) => ({ declined_at: now.toISOString(), decline_reason: text }),
    });
  }

  decide(
    caller: Caller,
    id: string,
    result: string,
    decidedAt: string,
    documentNumber: string,
    expectedVersion: number,
    idempotencyKey?: string | null,
  ) {
    notInFuture('decidedAt', decidedAt, this.clock());
    const number = requiredText('documentNumber', documentNumber, LIMITS.documentNumber);
    return this.move({
      caller,
      action: 'DECIDE',
      id,
      expectedVersion,
      idempotencyKey,
      input: { id, result, decidedAt, documentNumber, expectedVersion },
      columns: (_now, record) => {
        const checked = checkResult(record.kind as ReferralKind, result);
        // Decisions carry a date: the same (Shanghai) day as the acceptance is fine, an earlier day is not.
        if (record.acceptedAt && shanghaiDay(decidedAt) < shanghaiDay(record.acceptedAt))
          throw badInput('decidedAt', 'is before the day the referral was accepted');
        return { result: checked, decided_at: decidedAt, document_number: number };
      },
    });
  }
}
