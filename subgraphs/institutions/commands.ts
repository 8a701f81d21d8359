/**
 * Every change to the registry, each in one transaction that first locks the rows it depends on, so dispatch
 * permits, status changes and complaint handling on one institution are serialized. Order of checks: input,
 * existence, permission, idempotent replay, state.
 */
import { selectForUpdate, insertChunked, type Knex } from '../../kit/store.js';
import { badInput, conflict, invalidTransition, notFound } from '../../kit/errors.js';
import { oneResultPerKey, recall, remember } from '../../kit/idempotency.js';
import type { Principal } from '../../kit/principal.js';
import { requiredText } from '../../kit/input.js';
import { raiseGenerationIn } from '../../kit/generation.js';
import {
  authorizeComplaintResolution,
  authorizeDecision,
  authorizeOnboardUnder,
  authorizeDispatch,
  authorizeRequest,
  authorizeRequestOn,
  changeRule,
  requireChangeFrom,
  requireTakesNewCases,
  type ChangeKind,
  type ChangeRule,
  type InstitutionStatus,
} from './policy.js';
import {
  REGISTRY_GENERATION,
  toChange,
  toComplaint,
  toInstitution,
  type ChangeRecord,
  type ComplaintRecord,
  type InstitutionRecord,
} from './store.js';
import { checkDetails, checkRegion, TEXT_LIMITS, type Details, type DetailsInput } from './validation.js';

export interface DispatchPermit {
  institutionId: string;
  supervisingUnitId: string;
  grantedAt: string;
}

export interface ChangeInput {
  kind: ChangeKind;
  institutionId?: string | null;
  reason: string;
  details?: DetailsInput | null;
}

export type Decision = 'APPROVE' | 'REJECT';
export type ComplaintOutcome = 'UNFOUNDED' | 'RECTIFICATION_ORDERED' | 'ESCALATED';

/** A stored id (an integer key) from a GraphQL ID; anything else names no row. */
function seqOf(id: string, what: string): number {
  const seq = Number(id);
  if (!Number.isSafeInteger(seq) || seq < 1) throw notFound(what);
  return seq;
}

/** Ids of newly onboarded institutions: `IN-N` and the change request's number, unique without a counter. */
const onboardedId = (changeSeq: number) => `IN-N${String(changeSeq).padStart(5, '0')}`;

/** The details a request proposes: a new institution's in full; for one already recorded, only the fields to change. */
function proposedDetails(
  mode: ChangeRule['details'],
  input: DetailsInput | null | undefined,
  institutionId: string | null,
): Details | null {
  if (mode === 'none') {
    if (input) throw badInput('input.details', 'this kind of request changes no details');
    return null;
  }
  if (mode === 'new' && !institutionId) return checkDetails('input.details', input, 'new');
  if (mode === 'new' && !input) return null;
  return checkDetails('input.details', input, 'patch');
}

export class RegistryCommands {
  constructor(
    private readonly knex: Knex,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The institution, locked until the transaction ends; NOT_FOUND when there is none. */
  private async lock(trx: Knex.Transaction, id: string): Promise<InstitutionRecord> {
    const row = await selectForUpdate(trx, 'institutions', { id });
    if (!row) throw notFound('institution');
    return toInstitution(row);
  }

  /**
   * The cases subgraph asks before it dispatches a case: the caller must be the target's supervising unit and the
   * target must be active at this moment. The row lock orders the permit against any status change.
   */
  reserveDispatch(principal: Principal, institutionId: string, caseId: string): Promise<DispatchPermit> {
    if (!institutionId || institutionId.length > 32)
      throw badInput('institutionId', 'must be an institution id (1 to 32 characters)');
    if (!caseId || caseId.length > 32) throw badInput('caseId', 'must be a case id (1 to 32 characters)');
    return this.knex.transaction(async (trx) => {
      const institution = await this.lock(trx, institutionId);
      authorizeDispatch(principal, institution);
      requireTakesNewCases(institution);
      const grantedAt = this.clock().toISOString();
      await trx('dispatch_permits').insert({
        institution_id: institution.id,
        case_id: caseId,
        supervisor: principal.sub,
        supervising_unit_id: institution.supervisingUnitId,
        granted_at: grantedAt,
      });
      return { institutionId: institution.id, supervisingUnitId: institution.supervisingUnitId!, grantedAt };
    });
  }

  /** Refuses a name another institution of the district already has (the store's unique key backs this up). */
  private async requireFreeName(
    trx: Knex.Transaction,
    field: string,
    district: string,
    name: string,
    exceptId: string | null,
  ): Promise<void> {
    const query = trx('institutions').where({ district, name }).first('id');
    if (exceptId) query.whereNot('id', exceptId);
    if (await query) throw badInput(field, `another institution in district ${district} already has this name`);
  }

  /** The details an institution would have after the change, checked as a whole. */
  private async checkOutcome(
    trx: Knex.Transaction,
    path: string,
    current: InstitutionRecord | null,
    details: Details,
  ): Promise<void> {
    const merged = {
      name: details.name ?? current?.name ?? '',
      district: details.district ?? current?.district ?? '',
      street: details.street !== undefined ? details.street : (current?.street ?? null),
      community: details.community !== undefined ? details.community : (current?.community ?? null),
    };
    checkRegion(path, merged);
    if (details.name !== undefined || details.district !== undefined)
      await this.requireFreeName(trx, `${path}.name`, merged.district, merged.name, current?.id ?? null);
  }

  /** A supervising unit's written request; nothing in the registry changes until it is approved. */
  requestChange(principal: Principal, input: ChangeInput, idempotencyKey?: string | null): Promise<ChangeRecord> {
    const rule = changeRule(input.kind);
    authorizeRequest(rule, principal);
    const reason = requiredText('input.reason', input.reason, TEXT_LIMITS.reason);
    const institutionId = input.institutionId ?? null;
    if (!institutionId && !rule.from.includes('NEW'))
      throw badInput('input.institutionId', `is required for a ${input.kind} request`);
    const details = proposedDetails(rule.details, input.details, institutionId);
    const idem = { principal, key: idempotencyKey, operation: 'requestInstitutionChange', input };

    return oneResultPerKey(this.knex, idem, () =>
      this.knex.transaction(async (trx) => {
        let current: InstitutionRecord | null = null;
        let unitId: string;
        if (institutionId) {
          current = await this.lock(trx, institutionId);
          authorizeRequestOn(rule, principal, current);
          unitId = current.supervisingUnitId!;
        } else {
          const unit = await trx('institutions')
            .where('id', principal.org ?? '')
            .first();
          authorizeOnboardUnder(unit);
          unitId = unit.id;
        }
        const earlier = await recall<ChangeRecord>(trx, idem);
        if (earlier) return earlier;
        requireChangeFrom(rule, (current?.status as InstitutionStatus | undefined) ?? 'NEW', institutionId);
        if (institutionId) {
          const open = await trx('institution_changes')
            .where({ institution_id: institutionId, kind: rule.kind, status: 'OPEN' })
            .first('seq');
          if (open)
            throw conflict(
              `a ${rule.kind} request for institution ${institutionId} is already open (request ${open.seq}): wait for its decision`,
              { openRequestId: String(open.seq) },
            );
        }
        if (details) await this.checkOutcome(trx, 'input.details', current, details);
        const [row] = await trx('institution_changes').insert(
          {
            kind: rule.kind,
            status: 'OPEN',
            institution_id: institutionId,
            supervising_unit_id: unitId,
            reason,
            details: details ? JSON.stringify(details) : null,
            requested_by: principal.sub,
            requested_at: this.clock().toISOString(),
          },
          '*',
        );
        const result = toChange(row);
        await remember(trx, idem, result);
        return result;
      }),
    );
  }

  /** The justice bureau's decision; an approval changes the registry in the same transaction. */
  decideChange(principal: Principal, id: string, decision: Decision, note: string): Promise<ChangeRecord> {
    authorizeDecision(null, principal);
    const text = requiredText('note', note, TEXT_LIMITS.note);
    const seq = seqOf(id, 'change request');
    return this.knex.transaction(async (trx) => {
      const row = await selectForUpdate(trx, 'institution_changes', { seq });
      if (!row) throw notFound('change request');
      const change = toChange(row);
      const rule = changeRule(change.kind as ChangeKind);
      authorizeDecision(rule, principal);
      if (change.status !== 'OPEN') {
        throw invalidTransition(change.status, decision, `change request ${id} is already ${change.status}`);
      }
      // The institution is locked before the decision takes its time, so its timestamps order with dispatch permits.
      const current =
        decision === 'APPROVE' && change.institutionId ? await this.lock(trx, change.institutionId) : null;
      const now = this.clock().toISOString();
      const columns: Record<string, unknown> = {
        status: decision === 'APPROVE' ? 'APPROVED' : 'REJECTED',
        decided_by: principal.sub,
        decided_at: now,
        decision_note: text,
      };
      if (decision === 'APPROVE') columns.institution_id = await this.apply(trx, change, current, now);
      const [updated] = await trx('institution_changes').where('seq', seq).update(columns, '*');
      return toChange(updated);
    });
  }

  /** Carries out an approved change on the (locked) institution; returns its id (new for an onboarding). */
  private async apply(
    trx: Knex.Transaction,
    change: ChangeRecord,
    current: InstitutionRecord | null,
    now: string,
  ): Promise<string> {
    // The only write of the registry: it raises the registry's generation, so pages kept under an older one are stale.
    await raiseGenerationIn(trx, REGISTRY_GENERATION);
    const rule = changeRule(change.kind as ChangeKind);
    const details = (change.proposedDetails ?? {}) as Details;
    // The registry may have moved since the request (another approval): the move must still be legal.
    requireChangeFrom(rule, (current?.status as InstitutionStatus | undefined) ?? 'NEW', change.institutionId);
    try {
      await this.checkOutcome(trx, 'proposedDetails', current, details);
    } catch (error) {
      throw conflict(`change request ${change.id} can no longer be applied (${(error as Error).message}): reject it`);
    }
    if (!current) {
      const id = onboardedId(change.seq);
      await trx('institutions').insert({
        id,
        name: details.name,
        kind: details.kind,
        status: rule.to,
        district: details.district,
        street: details.street ?? null,
        community: details.community ?? null,
        supervising_unit_id: change.supervisingUnitId,
        liaison_name: details.liaison?.name ?? null,
        liaison_phone: details.liaison?.phone ?? null,
        listed: details.listed ?? true,
        created_at: now,
        status_changed_at: now,
      });
      await insertChunked(
        trx,
        'institution_categories',
        (details.categories ?? []).map((category) => ({ institution_id: id, category })),
      );
      return id;
    }
    const columns: Record<string, unknown> = {};
    if (rule.to !== 'same' && rule.to !== current.status)
      Object.assign(columns, { status: rule.to, status_changed_at: now });
    for (const [field, column] of [
      ['name', 'name'],
      ['kind', 'kind'],
      ['district', 'district'],
      ['street', 'street'],
      ['community', 'community'],
      ['listed', 'listed'],
    ] as const) {
      if (details[field] !== undefined) columns[column] = details[field];
    }
    if (details.liaison !== undefined)
      Object.assign(columns, {
        liaison_name: details.liaison?.name ?? null,
        liaison_phone: details.liaison?.phone ?? null,
      });
    if (Object.keys(columns).length) await trx('institutions').where('id', current.id).update(columns);
    if (details.categories) {
      await trx('institution_categories').where('institution_id', current.id).delete();
      await insertChunked(
        trx,
        'institution_categories',
        details.categories.map((category) => ({ institution_id: current.id, category })),
      );
    }
    return current.id;
  }

  /** Any authenticated principal may complain about an institution; its supervising unit handles it. */
  fileComplaint(
    principal: Principal,
    institutionId: string,
    subject: string,
    idempotencyKey?: string | null,
  ): Promise<ComplaintRecord> {
    const text = requiredText('subject', subject, TEXT_LIMITS.subject);
    const idem = { principal, key: idempotencyKey, operation: 'fileComplaint', input: { institutionId, subject } };
    return oneResultPerKey(this.knex, idem, () =>
      this.knex.transaction(async (trx) => {
        const institution = await this.lock(trx, institutionId);
        if (!institution.supervisingUnitId)
          throw badInput(
            'institutionId',
            'a supervising unit is not handled by another unit: write to the justice bureau',
          );
        const earlier = await recall<ComplaintRecord>(trx, idem);
        if (earlier) return earlier;
        const [row] = await trx('complaints').insert(
          {
            institution_id: institution.id,
            status: 'OPEN',
            subject: text,
            filed_by: principal.sub,
            filed_by_role: principal.role,
            filed_at: this.clock().toISOString(),
          },
          '*',
        );
        const result = toComplaint(row);
        await remember(trx, idem, result);
        return result;
      }),
    );
  }

  resolveComplaint(
    principal: Principal,
    id: string,
    outcome: ComplaintOutcome,
    note: string,
  ): Promise<ComplaintRecord> {
    const text = requiredText('note', note, TEXT_LIMITS.note);
    const seq = seqOf(id, 'complaint');
    return this.knex.transaction(async (trx) => {
      const row = await selectForUpdate(trx, 'complaints', { seq });
      if (!row) throw notFound('complaint');
      const institution = toInstitution(await trx('institutions').where('id', row.institution_id).first());
      authorizeComplaintResolution(principal, institution);
      if (row.status !== 'OPEN')
        throw invalidTransition(row.status, 'RESOLVE', `complaint ${id} is already ${row.status}`);
      const [updated] = await trx('complaints').where('seq', seq).update(
        {
          status: 'RESOLVED',
          outcome,
          resolution_note: text,
          resolved_by: principal.sub,
          resolved_at: this.clock().toISOString(),
        },
        '*',
      );
      return toComplaint(updated);
    });
  }
}
