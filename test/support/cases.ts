/** Helpers for case-lifecycle tests: valid submissions, and mutations as the principal each one needs. */
import { Random } from '../../seed/random.js';
import { creditCode, mobile, personName, residentId } from '../../seed/world.js';
import type { Hub } from './hub.js';

const rng = new Random(99);

export function validSubmission(overrides: Record<string, unknown> = {}) {
  return {
    channel: 'ONLINE',
    category: 'LABOUR',
    district: '310104',
    occurredAt: '2026-03-01T08:00:00Z',
    place: '上海市徐汇区漕溪路1号',
    claims: '要求支付拖欠工资',
    parties: [
      {
        role: 'APPLICANT',
        kind: 'PERSON',
        name: personName(rng),
        idNumber: residentId(rng, '310104'),
        phone: mobile(rng),
      },
      {
        role: 'RESPONDENT',
        kind: 'ORGANISATION',
        name: '上海某某物流有限公司',
        idNumber: creditCode(rng, '310104'),
        phone: '021-64871234',
      },
    ],
    ...overrides,
  };
}

export const CASE_FIELDS =
  'id status version institution { id } supervisingUnit { id } timeline { action fromStatus toStatus actor actorRole reason } deadlines { rule startedAt dueAt metAt overdue }';

export const MUTATIONS = {
  submit: `mutation($input: SubmitCaseInput!, $key: String) { submitCase(input: $input, idempotencyKey: $key) { ${CASE_FIELDS} } }`,
  dispatch: `mutation($id: ID!, $to: ID!, $v: Int!, $key: String) { dispatchCase(id: $id, institutionId: $to, expectedVersion: $v, idempotencyKey: $key) { ${CASE_FIELDS} } }`,
  contact: `mutation($id: ID!, $at: DateTime!, $willing: Boolean!, $v: Int!, $key: String) { recordRespondentContact(id: $id, contactedAt: $at, willing: $willing, expectedVersion: $v, idempotencyKey: $key) { ${CASE_FIELDS} } }`,
  accept: `mutation($id: ID!, $v: Int!, $key: String) { acceptCase(id: $id, expectedVersion: $v, idempotencyKey: $key) { ${CASE_FIELDS} } }`,
  reject: `mutation($id: ID!, $reason: String!, $v: Int!, $key: String) { rejectCase(id: $id, reason: $reason, expectedVersion: $v, idempotencyKey: $key) { ${CASE_FIELDS} } }`,
  close: `mutation($id: ID!, $outcome: CaseOutcome!, $subject: String, $remedies: String, $v: Int!, $key: String) { closeCase(id: $id, outcome: $outcome, agreementSubject: $subject, remedies: $remedies, expectedVersion: $v, idempotencyKey: $key) { ${CASE_FIELDS} } }`,
  withdraw: `mutation($id: ID!, $reason: String!, $v: Int!, $key: String) { withdrawCase(id: $id, reason: $reason, expectedVersion: $v, idempotencyKey: $key) { ${CASE_FIELDS} } }`,
  import: `mutation($inputs: [SubmitCaseInput!]!) { importCases(inputs: $inputs) { created { id channel: status } existing { id } errors { index field message } } }`,
};

/** A stored case row, as the cases store holds it. */
export async function caseRow(hub: Hub, id: string) {
  return hub.knex.cases('cases').where('id', id).first();
}

/** An active institution that takes cases, and its supervising unit. */
export async function activeInstitution(hub: Hub, exceptId?: string, unitId?: string) {
  const query = hub.knex
    .institutions('institutions')
    .where('status', 'ACTIVE')
    .whereNotNull('supervising_unit_id')
    .whereNotIn('kind', ['COURT', 'COMMERCIAL_ARBITRATION']);
  if (exceptId) query.whereNot('id', exceptId);
  if (unitId) query.where('supervising_unit_id', unitId);
  const row = await query.orderBy('seq').first();
  return { id: row.id as string, unit: row.supervising_unit_id as string };
}
