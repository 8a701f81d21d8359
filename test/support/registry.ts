/** Helpers for institution-registry tests: its mutations and queries, and institutions picked from the demo world. */
import type { Hub } from './hub.js';

export const CHANGE_FIELDS =
  'id kind status reason requestedBy requestedAt decidedBy decidedAt decisionNote institution { id status statusChangedAt } supervisingUnit { id } proposedDetails { name kind district street community categories listed liaison { name phone } }';

export const REGISTRY = {
  request: `mutation($input: InstitutionChangeInput!, $key: String) { requestInstitutionChange(input: $input, idempotencyKey: $key) { ${CHANGE_FIELDS} } }`,
  decide: `mutation($id: ID!, $decision: ChangeDecision!, $note: String!) { decideInstitutionChange(id: $id, decision: $decision, note: $note) { ${CHANGE_FIELDS} } }`,
  file: `mutation($i: ID!, $s: String!, $key: String) { fileComplaint(institutionId: $i, subject: $s, idempotencyKey: $key) { id status subject filedAt institution { id } } }`,
  resolve: `mutation($id: ID!, $o: ComplaintOutcome!, $n: String!) { resolveComplaint(id: $id, outcome: $o, note: $n) { id status outcome resolutionNote resolvedAt } }`,
  institution: `query($id: ID!) { institution(id: $id) { id name kind status district street community listed statusChangedAt categories liaison { name phone } supervisingUnit { id } } }`,
};

/** Active institutions that take cases, with their supervising units, in registry order. */
export async function activeInstitutions(hub: Hub, count: number, unitId?: string) {
  const query = hub.knex
    .institutions('institutions')
    .where('status', 'ACTIVE')
    .whereNotNull('supervising_unit_id')
    .whereNotIn('kind', ['COURT', 'COMMERCIAL_ARBITRATION']);
  if (unitId) query.where('supervising_unit_id', unitId);
  const rows = await query.orderBy('seq').limit(count);
  return rows.map((row: any) => ({
    id: row.id as string,
    unit: row.supervising_unit_id as string,
    name: row.name as string,
    district: row.district as string,
  }));
}

/** A supervising unit other than the given one. */
export async function otherUnit(hub: Hub, unitId: string): Promise<string> {
  const row = await hub.knex
    .institutions('institutions')
    .where('kind', 'SUPERVISING_UNIT')
    .whereNot('id', unitId)
    .orderBy('seq')
    .first();
  return row.id;
}

export const supervisor = (org: string) => ({ role: 'supervisor', org });
