/**
 * What the privacy tests need of the demo world: a case with everybody who handles it, the truth of its party data
 * straight from the store, and a check that a response carries none of that truth.
 */
import type { Hub } from './hub.js';
import { toIso } from '../../kit/scalars.js';

export const CASE_PII = [
  'occurredAt',
  'place',
  'claims',
  'description',
  'agreementSubject',
  'remedies',
  'rejectionReason',
] as const;
export const PARTY_PII = ['name', 'idNumber', 'phone', 'email', 'address'] as const;
export const CASE_SELECTION = `id status district occurredMonth ${CASE_PII.join(' ')}
  parties { role kind pseudonym ${PARTY_PII.join(' ')} } timeline { toStatus reason }`;

export interface CaseFixture {
  id: string;
  district: string;
  institutionId: string;
  supervisingUnitId: string;
  /** A court or commission the case was referred to. */
  referredTo: string;
  /** Party data as stored, for comparison: every string that must not leak. */
  truth: { case: Record<string, unknown>; parties: Record<string, unknown>[]; secrets: string[] };
}

export async function referredCase(hub: Hub): Promise<CaseFixture> {
  const referral = await hub.knex.referrals('referrals').where('status', '!=', 'DECLINED').orderBy('seq').first();
  if (!referral) throw new Error('the demo world has no referral');
  return caseFixture(hub, referral.case_id, referral.target_id);
}

export async function caseFixture(hub: Hub, id: string, referredTo = ''): Promise<CaseFixture> {
  const row = await hub.knex.cases('cases').where('id', id).first();
  const parties = await hub.knex.cases('parties').where('case_seq', row.seq).orderBy('id');
  const events = await hub.knex.cases('case_events').where('case_seq', row.seq);
  const truthCase = {
    occurredAt: toIso(row.occurred_at),
    place: row.place,
    claims: row.claims,
    description: row.description,
    agreementSubject: row.agreement_subject,
    remedies: row.remedies,
    rejectionReason: row.rejection_reason,
  };
  const truthParties = parties.map((p: any) => ({
    name: p.name,
    idNumber: p.id_number,
    phone: p.phone,
    email: p.email,
    address: p.address,
  }));
  const secrets = [
    ...Object.values(truthCase),
    ...truthParties.flatMap((p: Record<string, unknown>) => Object.values(p)),
    ...events.map((e: any) => e.reason),
  ].filter((v): v is string => typeof v === 'string' && v.length >= 2 && !/^\d{4}-\d{2}-\d{2}T/.test(v));
  return {
    id,
    district: row.district,
    institutionId: row.institution_id,
    supervisingUnitId: row.supervising_unit_id,
    referredTo,
    truth: { case: truthCase, parties: truthParties, secrets },
  };
}

/** The secrets of `fixture` found anywhere in `value` (a response body, log lines, an audit table). */
export function leaked(fixture: CaseFixture, value: unknown): string[] {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return fixture.truth.secrets.filter((secret) => text.includes(secret));
}

/** Another institution and another supervising unit than the case's, both active. */
export async function outsiders(hub: Hub, fixture: CaseFixture) {
  const institution = await hub.knex
    .institutions('institutions')
    .whereNot('id', fixture.institutionId)
    .whereNot('kind', 'SUPERVISING_UNIT')
    .first();
  const unit = await hub.knex
    .institutions('institutions')
    .whereNot('id', fixture.supervisingUnitId)
    .where('kind', 'SUPERVISING_UNIT')
    .first();
  const court = await hub.knex
    .institutions('institutions')
    .whereNot('id', fixture.referredTo)
    .where('kind', 'COURT')
    .first();
  return { institution: institution.id as string, unit: unit.id as string, court: court.id as string };
}
