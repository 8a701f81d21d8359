/**
 * A steward's consent grant opens exactly the categories and cases it names, from the grantee's next request until
 * it expires or is revoked; four eyes: nobody grants to itself, and a grant wider than one category of one case opens
 * nothing until a second steward approves it. Every step, refusals included, is in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { referredCase, type CaseFixture } from './support/privacy.js';

let hub: Hub;
let c: CaseFixture;
const steward = { role: 'steward' }; // sub test-steward
const secondSteward = { role: 'steward', sub: 'second-steward' };
const analyst = { role: 'analyst' }; // sub test-analyst
const later = () => new Date(Date.now() + 3_600_000).toISOString();

beforeAll(async () => {
  hub = await startHub({ cases: 60 });
  c = await referredCase(hub);
});
afterAll(async () => {
  await hub?.close();
});

const GRANT = `mutation($grantee: String!, $categories: [PiiCategory!]!, $scope: GrantScopeInput, $expiresAt: DateTime!) {
  grantDataAccess(grantee: $grantee, categories: $categories, purpose: "dispute trend study", scope: $scope, expiresAt: $expiresAt) {
    id status categories expiresAt grantedBy approvedBy approvedAt } }`;
const APPROVE = 'mutation($id: ID!) { approveDataGrant(id: $id) { id status grantedBy approvedBy approvedAt } }';

/** A grant requested by the first steward, as the API answers it. */
async function request(categories: string[], scope: Record<string, string> | null = null, grantee = 'test-analyst') {
  return dataOf(await hub.query(GRANT, { grantee, categories, scope, expiresAt: later() }, steward)).grantDataAccess;
}
/** A grant in force: approved by the second steward when it needs to be. */
async function grant(categories: string[], scope: Record<string, string> | null = null, grantee = 'test-analyst') {
  const requested = await request(categories, scope, grantee);
  if (requested.status === 'AWAITING_APPROVAL') dataOf(await hub.query(APPROVE, { id: requested.id }, secondSteward));
  return requested.id as string;
}
async function revoke(id: string, by = steward) {
  dataOf(await hub.query('mutation($id: ID!) { revokeDataAccess(id: $id) { revokedAt } }', { id }, by));
}
const EVENTS = `query($f: AuditFilter) { auditEvents(filter: $f, first: 50) { edges { node { principal decision categories caseIds operation detail } } } }`;
/** The audit records of a grant, oldest first. */
async function auditOf(grantId: string) {
  const nodes = dataOf(await hub.query(EVENTS, { f: {} }, steward)).auditEvents.edges.map((e: any) => e.node);
  return nodes.filter((n: any) => n.detail?.includes(grantId)).reverse();
}
const deniedCount = async () =>
  Number((await hub.knex.cases('audit_events').where('decision', 'DENIED').count({ n: '*' }))[0]!.n);
async function view(as = analyst) {
  return dataOf(
    await hub.query(
      'query($id: ID!) { case(id: $id) { claims place parties { name idNumber phone } } }',
      { id: c.id },
      as,
    ),
  ).case;
}

describe('consent grants', () => {
  it('opens only the granted category, and only from the next request until revoked', async () => {
    // Without a grant the analyst gets no row of the case at all (figures only: privacy/row-scope.ts).
    expect(await view()).toBeNull();
    const id = await grant(['NAME']);
    const opened = await view();
    expect(opened.parties.map((p: any) => p.name)).toEqual(c.truth.parties.map((p) => p.name));
    // A grant for names is not one for ID numbers, contacts or claims.
    expect(opened.parties.every((p: any) => p.idNumber === null && p.phone === null)).toBe(true);
    expect(opened.claims).toBeNull();
    await revoke(id);
    expect(await view()).toBeNull();
  });

  it("lets a granted category be searched, and only within the grant's scope", async () => {
    const name = c.truth.parties[0]!.name as string;
    const search = () =>
      hub.query(
        'query($n: String) { cases(filter: { partyName: $n }) { edges { node { id district } } } }',
        { n: name },
        analyst,
      );
    expect(codesOf(await search())).toEqual(['FORBIDDEN']);
    const id = await grant(['NAME'], { district: c.district });
    const found = dataOf(await search()).cases.edges.map((e: any) => e.node);
    expect(found.map((n: any) => n.id)).toContain(c.id);
    expect(found.every((n: any) => n.district === c.district)).toBe(true);
    await revoke(id);
  });

  it('covers only the cases of its scope: a case of another district is no row at all', async () => {
    const other = await hub.knex.cases('cases').whereNot('district', c.district).first();
    const id = await grant(['CLAIMS'], { district: c.district });
    const [inScope, outOfScope] = await Promise.all(
      [c.id, other.id].map(
        async (caseId) =>
          dataOf(await hub.query('query($id: ID!) { case(id: $id) { claims } }', { id: caseId }, analyst)).case,
      ),
    );
    expect(inScope.claims).toBe(c.truth.case.claims);
    expect(outOfScope).toBeNull();
    await revoke(id);
  });

  it('stops at expiry', async () => {
    await hub.knex.cases('consent_grants').insert({
      id: 'GR-expired',
      grantee: 'test-analyst',
      categories: 'CLAIMS,NAME',
      purpose: 'expired study',
      expires_at: new Date(Date.now() - 1000).toISOString(),
      granted_by: 'test-steward',
      granted_at: new Date(Date.now() - 86_400_000).toISOString(),
      approved_by: 'second-steward',
      approved_at: new Date(Date.now() - 86_400_000).toISOString(),
    });
    expect(await view()).toBeNull();
  });

  it('is for its grantee alone', async () => {
    const id = await grant(['NAME'], null, 'someone-else');
    expect(await view()).toBeNull();
    await revoke(id);
  });

  it('is given and revoked by a steward only, with clear errors for bad input', async () => {
    expect(
      codesOf(
        await hub.query(
          GRANT,
          { grantee: 'test-analyst', categories: ['NAME'], scope: null, expiresAt: later() },
          analyst,
        ),
      ),
    ).toEqual(['FORBIDDEN']);
    const past = await hub.query(
      GRANT,
      { grantee: 'test-analyst', categories: ['NAME'], scope: null, expiresAt: '2020-01-01T00:00:00Z' },
      steward,
    );
    expect(past.body.errors![0]).toMatchObject({
      message: 'expiresAt: must be in the future',
      extensions: { code: 'BAD_USER_INPUT', field: 'expiresAt' },
    });
    const district = await hub.query(
      GRANT,
      { grantee: 'test-analyst', categories: ['NAME'], scope: { district: '999999' }, expiresAt: later() },
      steward,
    );
    expect(district.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'scope.district' });
    const none = await hub.query(
      GRANT,
      { grantee: 'test-analyst', categories: [], scope: null, expiresAt: later() },
      steward,
    );
    expect(none.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'categories' });
    const id = await grant(['CONTACT']);
    await revoke(id);
    const again = await hub.query('mutation($id: ID!) { revokeDataAccess(id: $id) { id } }', { id }, steward);
    expect(codesOf(again)).toEqual(['INVALID_TRANSITION']);
  });
});

describe('four eyes on consent', () => {
  it('refuses a steward granting access to itself, writes no grant, and audits the refusal', async () => {
    const grantsBefore = Number((await hub.knex.cases('consent_grants').count({ n: '*' }))[0]!.n);
    const deniedBefore = await deniedCount();
    // Narrow or wide, to itself is refused.
    for (const scope of [{ caseId: c.id }, null]) {
      const result = await hub.query(
        GRANT,
        { grantee: 'test-steward', categories: ['NAME'], scope, expiresAt: later() },
        steward,
      );
      expect(result.body.errors![0]).toMatchObject({
        message:
          'grantee: a steward cannot grant access to itself (the one who consents is never the one who consumes)',
        extensions: { code: 'FORBIDDEN', rule: 'FOUR_EYES' },
      });
    }
    expect(Number((await hub.knex.cases('consent_grants').count({ n: '*' }))[0]!.n)).toBe(grantsBefore);
    expect(await deniedCount()).toBe(deniedBefore + 2);
    const [denied] = await hub.knex.cases('audit_events').where('decision', 'DENIED').orderBy('seq', 'desc').limit(1);
    expect(denied).toMatchObject({
      principal: 'test-steward',
      operation: 'grantDataAccess',
      detail: 'grantDataAccess refused: four eyes',
      categories: 'NAME',
    });
    // The steward still gets nothing of a case it holds no grant for: not even its row.
    const seen = dataOf(
      await hub.query('query($id: ID!) { case(id: $id) { parties { name } } }', { id: c.id }, steward),
    ).case;
    expect(seen).toBeNull();
  });

  it('keeps a district-wide grant inert until a second steward approves it, then opens it on the next request', async () => {
    const name = c.truth.parties[0]!.name as string;
    const search = () =>
      hub.query(
        'query($n: String) { cases(filter: { partyName: $n }) { edges { node { id } } } }',
        { n: name },
        analyst,
      );
    const requested = await request(['NAME'], { district: c.district });
    expect(requested).toMatchObject({
      status: 'AWAITING_APPROVAL',
      grantedBy: 'test-steward',
      approvedBy: null,
      approvedAt: null,
    });
    // Awaiting approval it opens nothing: not a row, not a field, not a search, on neither line.
    expect(await view()).toBeNull();
    expect(codesOf(await search())).toEqual(['FORBIDDEN']);

    // Neither its grantor nor anyone but a steward approves it.
    const own = await hub.query(APPROVE, { id: requested.id }, steward);
    expect(own.body.errors![0]).toMatchObject({
      message: 'approveDataGrant: a grant is approved by a second steward, not by the steward who gave it',
      extensions: { code: 'FORBIDDEN', rule: 'FOUR_EYES' },
    });
    expect(codesOf(await hub.query(APPROVE, { id: requested.id }, analyst))).toEqual(['FORBIDDEN']);
    expect(await view()).toBeNull();

    const approved = dataOf(await hub.query(APPROVE, { id: requested.id }, secondSteward)).approveDataGrant;
    expect(approved).toMatchObject({
      id: requested.id,
      status: 'IN_FORCE',
      grantedBy: 'test-steward',
      approvedBy: 'second-steward',
    });
    expect(Date.parse(approved.approvedAt)).not.toBeNaN();
    expect((await view()).parties.map((p: any) => p.name)).toEqual(c.truth.parties.map((p) => p.name));
    // Its rows are listed (its count is a figure, perturbed for an analyst like every other).
    expect(dataOf(await search()).cases.edges.map((e: any) => e.node.id)).toContain(c.id);

    // Approving again is no move; revoking is, by either steward, at once.
    expect(codesOf(await hub.query(APPROVE, { id: requested.id }, secondSteward))).toEqual(['INVALID_TRANSITION']);
    await revoke(requested.id, secondSteward);
    expect(await view()).toBeNull();
    expect(codesOf(await hub.query(APPROVE, { id: requested.id }, { role: 'steward', sub: 'third-steward' }))).toEqual([
      'INVALID_TRANSITION',
    ]);

    expect((await auditOf(requested.id)).map((e: any) => [e.principal, e.decision, e.operation])).toEqual([
      ['test-steward', 'REQUESTED', 'grantDataAccess'],
      ['second-steward', 'APPROVED', 'approveDataGrant'],
      ['second-steward', 'REVOKED', 'revokeDataAccess'],
    ]);
  });

  it('audits a refused approval: by its grantor, by its grantee, by a role that is no steward', async () => {
    const toSteward = await request(['CLAIMS'], { district: c.district }, 'second-steward');
    const before = await deniedCount();
    const byGrantee = await hub.query(APPROVE, { id: toSteward.id }, secondSteward);
    expect(byGrantee.body.errors![0]).toMatchObject({
      message: 'approveDataGrant: a steward cannot approve a grant to itself',
      extensions: { code: 'FORBIDDEN', rule: 'FOUR_EYES' },
    });
    await hub.query(APPROVE, { id: toSteward.id }, steward);
    await hub.query(APPROVE, { id: toSteward.id }, analyst);
    expect(await deniedCount()).toBe(before + 3);
    const denied = await hub.knex.cases('audit_events').where('decision', 'DENIED').orderBy('seq', 'desc').limit(3);
    expect(denied.map((d: any) => [d.principal, d.detail]).reverse()).toEqual([
      ['second-steward', 'approveDataGrant refused: four eyes'],
      ['test-steward', 'approveDataGrant refused: four eyes'],
      ['test-analyst', 'approveDataGrant refused: not a steward'],
    ]);
    // The grantor withdraws it before anyone approves it.
    await revoke(toSteward.id);
    expect(
      dataOf(await hub.query('{ dataGrants { id status } }', {}, steward)).dataGrants.find(
        (g: any) => g.id === toSteward.id,
      ).status,
    ).toBe('REVOKED');
  });

  it('puts one category of one case in force at once, and counts two categories of one case as wide', async () => {
    const narrow = await request(['CLAIMS'], { caseId: c.id });
    expect(narrow).toMatchObject({ status: 'IN_FORCE', approvedBy: null });
    expect(narrow.approvedAt).not.toBeNull();
    expect((await view()).claims).toBe(c.truth.case.claims);
    expect(codesOf(await hub.query(APPROVE, { id: narrow.id }, secondSteward))).toEqual(['INVALID_TRANSITION']);
    expect((await auditOf(narrow.id)).map((e: any) => [e.decision, e.caseIds])).toEqual([['GRANTED', [c.id]]]);
    await revoke(narrow.id);

    const two = await request(['CLAIMS', 'DISPUTE_PLACE'], { caseId: c.id });
    expect(two.status).toBe('AWAITING_APPROVAL');
    // An earlier grant may still give the analyst the row; neither field opens.
    const seen = await view();
    expect([seen?.claims ?? null, seen?.place ?? null]).toEqual([null, null]);
    await revoke(two.id);
  });

  it('institution-wide is wide too', async () => {
    const wide = await request(['CLAIMS'], { institutionId: c.institutionId });
    expect(wide.status).toBe('AWAITING_APPROVAL');
    expect((await view())?.claims ?? null).toBeNull();
    await revoke(wide.id);
  });

  it("runs the README's consent example as written", async () => {
    const requested = dataOf(
      await hub.query(
        `mutation { grantDataAccess(grantee: "analyst-chen", categories: [NAME, ID_NUMBER], purpose: "repeat applicants in Xuhui",
    scope: { district: "310104" }, expiresAt: "2030-01-01T00:00:00Z") { id status } }`,
        {},
        { role: 'steward', sub: 'dev-steward' },
      ),
    ).grantDataAccess;
    expect(requested).toMatchObject({ id: expect.stringMatching(/^GR-/), status: 'AWAITING_APPROVAL' });
    const approved = dataOf(
      await hub.query(
        'mutation($id: ID!) { approveDataGrant(id: $id) { status approvedBy } }',
        { id: requested.id },
        { role: 'steward', sub: 'steward-li' },
      ),
    );
    expect(approved.approveDataGrant).toEqual({ status: 'IN_FORCE', approvedBy: 'steward-li' });
    await revoke(requested.id);
  });
});
