/** Helpers for referral tests: closed cases free of open referrals, targets by kind, and the referral mutations. */
import type { Hub } from './hub.js';

export const REFERRAL_FIELDS =
  'id kind status version case { id } target { id } requestedBy { id } result decidedAt documentNumber declineReason arbitrationAgreement history { action actor actorRole fromStatus toStatus reason }';

export const REFERRAL_MUTATIONS = {
  request: `mutation($caseId: ID!, $kind: ReferralKind!, $targetId: ID!, $agreement: ArbitrationAgreement, $key: String) {
    requestReferral(caseId: $caseId, kind: $kind, targetId: $targetId, arbitrationAgreement: $agreement, idempotencyKey: $key) { ${REFERRAL_FIELDS} } }`,
  accept: `mutation($id: ID!, $v: Int!, $key: String) { acceptReferral(id: $id, expectedVersion: $v, idempotencyKey: $key) { ${REFERRAL_FIELDS} } }`,
  decline: `mutation($id: ID!, $reason: String!, $v: Int!, $key: String) { declineReferral(id: $id, reason: $reason, expectedVersion: $v, idempotencyKey: $key) { ${REFERRAL_FIELDS} } }`,
  decide: `mutation($id: ID!, $result: ReferralResult!, $at: DateTime!, $doc: String!, $v: Int!, $key: String) {
    decideReferral(id: $id, result: $result, decidedAt: $at, documentNumber: $doc, expectedVersion: $v, idempotencyKey: $key) { ${REFERRAL_FIELDS} } }`,
};

export const COMMISSION_KINDS = ['COMMERCIAL_ARBITRATION', 'LABOUR_ARBITRATION'];

/**
 * Cases in a status, assigned to an institution, with no referral in a court's hands, that no earlier call handed
 * out: each test works on its own cases.
 */
export function caseSupply(hub: Hub) {
  const used = new Set<string>();
  return async function take(
    status: string,
    count = 1,
  ): Promise<{ id: string; institutionId: string; version: number }[]> {
    const open = (
      await hub.knex.referrals('referrals').whereIn('status', ['SUBMITTED', 'ACCEPTED']).select('case_id')
    ).map((r) => r.case_id);
    const rows = await hub.knex
      .cases('cases')
      .where('status', status)
      .whereNotNull('institution_id')
      .whereNotIn('id', [...open, ...used])
      .orderBy('seq')
      .limit(count);
    if (rows.length < count) throw new Error(`only ${rows.length} ${status} cases left for the test`);
    for (const r of rows) used.add(r.id);
    return rows.map((r) => ({
      id: r.id as string,
      institutionId: r.institution_id as string,
      version: Number(r.version),
    }));
  };
}

/** Active institutions of these kinds, in registry order. */
export async function targets(hub: Hub, kinds: string[], status = 'ACTIVE'): Promise<string[]> {
  return (
    await hub.knex
      .institutions('institutions')
      .whereIn('kind', kinds)
      .where('status', status)
      .orderBy('seq')
      .select('id')
  ).map((r) => r.id);
}
