/**
 * Each role's view of one case, field by field, against the policy tables (CLEAR_ACCESS in kit/privacy.ts, CASE_ROWS
 * in kit/figure-access.ts): the roles that handle the case see every marked field in clear; a role that gets the case
 * as a row without handling it (the operator; the intake desk that received it) sees each of them null, with the safe
 * companions (district, month, kind, role, pseudonym); a role with no relation to the case gets no row of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { CASE_PII, CASE_SELECTION, PARTY_PII, outsiders, referredCase, type CaseFixture } from './support/privacy.js';
import { CLEAR_ACCESS, handlesCases } from '../kit/privacy.js';
import { CASE_ROWS } from '../kit/figure-access.js';
import { ROLES } from '../kit/principal.js';

let hub: Hub;
let c: CaseFixture;
let others: Awaited<ReturnType<typeof outsiders>>;

beforeAll(async () => {
  hub = await startHub({ cases: 60 });
  c = await referredCase(hub);
  others = await outsiders(hub, c);
});
afterAll(async () => { await hub?.close(); });

/** The organisation a role acts for when it handles the case, and one for which it does not. */
function orgs(role: string): { handling?: string; other?: string } {
  switch (CLEAR_ACCESS[role as keyof typeof CLEAR_ACCESS]) {
    case 'assigned institution': return { handling: c.institutionId, other: others.institution };
    case 'supervising unit': return { handling: c.supervisingUnitId, other: others.unit };
    case 'referred court or commission': return { handling: c.referredTo, other: others.court };
    default: return {};
  }
}

async function viewAs(role: string, org?: string, sub?: string) {
  return dataOf(await hub.query(`query($id: ID!) { case(id: $id) { ${CASE_SELECTION} } }`, { id: c.id }, { role, org, sub })).case;
}

/** The desk that submitted the fixture case (an intake desk's own work). */
async function submitter(): Promise<string> {
  return (await hub.knex.cases('cases').where('id', c.id).first()).submitted_by;
}

function expectClear(view: any) {
  for (const field of CASE_PII) expect([field, view[field]]).toEqual([field, c.truth.case[field]]);
  view.parties.forEach((party: any, i: number) => {
    for (const field of PARTY_PII) expect([field, party[field]]).toEqual([field, c.truth.parties[i]![field]]);
  });
}

function expectWithheld(view: any) {
  for (const field of CASE_PII) expect([field, view[field]]).toEqual([field, null]);
  for (const party of view.parties) for (const field of PARTY_PII) expect([field, party[field]]).toEqual([field, null]);
  for (const event of view.timeline) expect(event.reason).toBeNull();
}

function expectCompanions(view: any) {
  expect(view.district).toBe(c.district);
  expect(view.occurredMonth).toBe(c.truth.case.occurredAt ? (c.truth.case.occurredAt as string).slice(0, 7) : null);
  for (const party of view.parties) {
    expect(party.kind).toMatch(/PERSON|ORGANISATION/);
    expect(party.pseudonym).toMatch(/^[\w-]{32}$/);
  }
}

describe.each(ROLES.map((role) => [role, CLEAR_ACCESS[role]]))('the %s role (%s)', (role) => {
  const rows = CASE_ROWS[role];
  const related = handlesCases(role) || rows === 'every case' || rows === 'cases it received';
  it(handlesCases(role) ? 'sees the case it handles in clear' : related ? 'sees every marked field withheld' : 'gets no row of a case it has no relation to', async () => {
    const view = await viewAs(role, orgs(role).handling, rows === 'cases it received' ? await submitter() : undefined);
    if (!related) {
      expect(view).toBeNull();
      return;
    }
    if (handlesCases(role)) expectClear(view);
    else expectWithheld(view);
    expectCompanions(view);
  });

  if (handlesCases(role)) {
    it('gets no row of a case it does not handle', async () => {
      expect(await viewAs(role, orgs(role).other)).toBeNull();
    });
  }
});

describe('pseudonyms', () => {
  it('are stable for one consumer, differ between consumers, and are no plain hash of the number', async () => {
    const [a1, a2] = [await viewAs('admin'), await viewAs('admin')];
    const other = dataOf(await hub.post(hub.urls.gateway, { query: `query($id: ID!) { case(id: $id) { parties { pseudonym } } }`, variables: { id: c.id } },
      { authorization: `Bearer ${await (await import('../gateway/dev-token.js')).signDevToken({ sub: 'another-admin', role: 'admin' }, hub.config.jwt.secret!)}` })).case;
    expect(a1.parties.map((p: any) => p.pseudonym)).toEqual(a2.parties.map((p: any) => p.pseudonym));
    expect(other.parties[0].pseudonym).not.toBe(a1.parties[0].pseudonym);
    const { createHash } = await import('node:crypto');
    const idNumber = c.truth.parties[0]!.idNumber as string;
    for (const digest of ['hex', 'base64url'] as const) expect(createHash('sha256').update(idNumber).digest(digest)).not.toContain(a1.parties[0].pseudonym.slice(0, 16));
  });
});
