/**
 * Each role's view of one case, field by field, as the policy tables say it (CLEAR_ACCESS in kit/privacy.ts, CASE_ROWS
 * in kit/figure-access.ts; written out here, not read from them): the roles that handle the case see every marked
 * field in clear; a role that gets the case as a row without handling it (the operator; the intake desk that
 * received it) sees each of them null, with the safe companions (district, month, kind, role, pseudonym); a role with
 * no relation to the case gets no row of it.
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
afterAll(async () => {
  await hub?.close();
});

type View = 'clear' | 'withheld' | 'no row';
/**
 * Each role: as whom it asks for the case it is related to (its organisation, or for intake the desk that received
 * the case) and what it sees; then as an unrelated organisation of the same role, where it has one.
 */
const EXPECTED: Record<
  (typeof ROLES)[number],
  () => { related: { org?: string; sub?: 'submitter' }; sees: View; unrelated?: string }
> = {
  institution: () => ({ related: { org: c.institutionId }, sees: 'clear', unrelated: others.institution }),
  supervisor: () => ({ related: { org: c.supervisingUnitId }, sees: 'clear', unrelated: others.unit }),
  court: () => ({ related: { org: c.referredTo }, sees: 'clear', unrelated: others.court }),
  // A referral's target is named by its organisation: as the court's org, the role handles the case too.
  arbitration: () => ({ related: { org: c.referredTo }, sees: 'clear', unrelated: others.court }),
  admin: () => ({ related: {}, sees: 'withheld' }),
  intake: () => ({ related: { sub: 'submitter' }, sees: 'withheld' }),
  analyst: () => ({ related: {}, sees: 'no row' }),
  steward: () => ({ related: {}, sees: 'no row' }),
};

async function viewAs(role: string, org?: string, sub?: string) {
  return dataOf(
    await hub.query(`query($id: ID!) { case(id: $id) { ${CASE_SELECTION} } }`, { id: c.id }, { role, org, sub }),
  ).case;
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

describe.each(ROLES.map((role) => [role]))('the %s role', (role) => {
  it('sees the case it is related to as the policy says (clear, withheld, or no row)', async () => {
    const { related, sees } = EXPECTED[role]();
    const view = await viewAs(role, related.org, related.sub === 'submitter' ? await submitter() : undefined);
    if (sees === 'no row') {
      expect(view).toBeNull();
      return;
    }
    if (sees === 'clear') expectClear(view);
    else expectWithheld(view);
    expectCompanions(view);
  });

  it('gets no row of a case it has no relation to', async () => {
    const { unrelated } = EXPECTED[role]();
    // The operator sees every case; every other role, as an organisation or desk unrelated to this one, none.
    const view = await viewAs(role, unrelated, role === 'intake' ? 'another-intake-desk' : undefined);
    if (role === 'admin') expectWithheld(view);
    else expect(view).toBeNull();
  });
});

describe('pseudonyms', () => {
  it('are stable for one consumer, differ between consumers, and are no plain hash of the number', async () => {
    const [a1, a2] = [await viewAs('admin'), await viewAs('admin')];
    const other = dataOf(
      await hub.post(
        hub.urls.gateway,
        { query: `query($id: ID!) { case(id: $id) { parties { pseudonym } } }`, variables: { id: c.id } },
        {
          authorization: `Bearer ${await (await import('../gateway/dev-token.js')).signDevToken({ sub: 'another-admin', role: 'admin' }, hub.config.jwt.secret!)}`,
        },
      ),
    ).case;
    expect(a1.parties.map((p: any) => p.pseudonym)).toEqual(a2.parties.map((p: any) => p.pseudonym));
    expect(other.parties[0].pseudonym).not.toBe(a1.parties[0].pseudonym);
    const { createHash } = await import('node:crypto');
    const idNumber = c.truth.parties[0]!.idNumber as string;
    for (const digest of ['hex', 'base64url'] as const)
      expect(createHash('sha256').update(idNumber).digest(digest)).not.toContain(a1.parties[0].pseudonym.slice(0, 16));
  });
});
