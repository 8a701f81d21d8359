/** Writes generated demo referrals into this subgraph's store, a batch a transaction. */
import { insertChunked, resyncSerial, type Knex } from '../../kit/store.js';
import { raiseGenerationIn } from '../../kit/generation.js';
import { REFERRALS_GENERATION } from './store.js';
import type { ReferralRecord } from './store.js';

/** A seeded referral is a whole record, its key included. */
export type ReferralSeed = ReferralRecord;

export async function writeReferralBatch(knex: Knex, referrals: ReferralSeed[]): Promise<void> {
  await knex.transaction(async (trx) => {
    await insertChunked(
      trx,
      'referrals',
      referrals.map((r) => ({
        seq: r.seq,
        id: r.id,
        case_id: r.caseId,
        kind: r.kind,
        status: r.status,
        target_id: r.targetId,
        requested_by: r.requestedBy,
        submitted_at: r.submittedAt,
        accepted_at: r.acceptedAt,
        declined_at: r.declinedAt,
        decline_reason: r.declineReason,
        arbitration_agreement: r.arbitrationAgreement,
        result: r.result,
        decided_at: r.decidedAt,
        document_number: r.documentNumber,
        version: r.version,
      })),
    );
    await raiseGenerationIn(trx, REFERRALS_GENERATION);
  });
}

export async function finishReferralSeeding(knex: Knex): Promise<void> {
  await resyncSerial(knex, 'referrals', 'seq');
}
