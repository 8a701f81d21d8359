/**
 * Each role's view of one case, field by field, as the policy says it (CLEAR_ACCESS in kit/privacy.ts, written out
 * here rather than read from it): the roles that handle the case see every marked field in clear, every other role
 * sees each of them null, and the safe companions (district, month, kind, role, pseudonym) are there for everybody.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { CASE_PII, CASE_SELECTION, PARTY_PII, outsiders, referredCase, type CaseFixture } from './support/privacy.js';
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

/**
 * Each role, and the organisation it acts for when it handles the case and one for which it does not: no
 * organisation for the roles that see party data only through a consent grant.
 */
const HANDLING: Record<(typeof ROLES)[number], () => { handling: string; other: string } | null> = {
  institution: () => ({ handling: c.institutionId, other: others.institution }),
  supervisor: () => ({ handling: c.supervisingUnitId, other: others.unit }),
  court: () => ({ handling: c.referredTo, other: others.court }),
  // A referral's target is named by its organisation: as the court's org, the role handles the case too.
  arbitration: () => ({ handling: c.referredTo, other: others.court }),
  admin: () => null,
  intake: () => null,
  analyst: () => null,
  steward: () => null,
};

async function viewAs(role: string, org?: string) {
  return dataOf(await hub.query(`query($id: ID!) { case(id: $id) { ${CASE_SELECTION} } }`, { id: c.id }, { role, org })).case;
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

describe.each(ROLES.map((role) => [role]))('the %s role', (role) => {
  const handles = () => HANDLING[role]();
  it('sees the case it handles in clear, or every marked field withheld without a grant', async () => {
    const orgs = handles();
    const view = await viewAs(role, orgs?.handling);
    if (orgs) expectClear(view);
    else expectWithheld(view);
    expectCompanions(view);
  });

  it('sees a case it does not handle withheld', async () => {
    const orgs = handles();
    const view = await viewAs(role, orgs?.other);
    expectWithheld(view);
    expectCompanions(view);
  });
});

describe('pseudonyms', () => {
  it('are stable for one consumer, differ between consumers, and are no plain hash of the number', async () => {
    const [a1, a2] = [await viewAs('analyst'), await viewAs('analyst')];
    const other = dataOf(await hub.post(hub.urls.gateway, { query: `query($id: ID!) { case(id: $id) { parties { pseudonym } } }`, variables: { id: c.id } },
      { authorization: `Bearer ${await (await import('../gateway/dev-token.js')).signDevToken({ sub: 'another-analyst', role: 'analyst' }, hub.config.jwt.secret!)}` })).case;
    expect(a1.parties.map((p: any) => p.pseudonym)).toEqual(a2.parties.map((p: any) => p.pseudonym));
    expect(other.parties[0].pseudonym).not.toBe(a1.parties[0].pseudonym);
    const { createHash } = await import('node:crypto');
    const idNumber = c.truth.parties[0]!.idNumber as string;
    for (const digest of ['hex', 'base64url'] as const) expect(createHash('sha256').update(idNumber).digest(digest)).not.toContain(a1.parties[0].pseudonym.slice(0, 16));
  });
});
