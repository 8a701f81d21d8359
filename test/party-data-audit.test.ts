/**
 * Every clear read of party data, every withheld value, every refused search and every grant is in the audit log;
 * the log holds no personal value, is hash-chained so a change or deletion is found, and fails closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { leaked, referredCase, type CaseFixture } from './support/privacy.js';

let hub: Hub;
let c: CaseFixture;
const steward = { role: 'steward' };

beforeAll(async () => {
  hub = await startHub({ cases: 60 });
  c = await referredCase(hub);
});
afterAll(async () => {
  await hub?.close();
});

const EVENTS = `query($f: AuditFilter) { auditEvents(filter: $f, first: 50) { totalCount edges { node {
  seq requestId principal role org decision categories caseIds operation documentHash detail } } } }`;
const events = async (filter: Record<string, unknown>) =>
  dataOf(await hub.query(EVENTS, { f: filter }, steward)).auditEvents.edges.map((e: any) => e.node);

describe('the audit log of party data', () => {
  it('records a clear read with the request id, principal, case, categories, operation and document hash', async () => {
    const institution = { role: 'institution', org: c.institutionId };
    const result = await hub.post(
      hub.urls.gateway,
      {
        query: 'query ReadCase($id: ID!) { case(id: $id) { claims parties { name } } }',
        variables: { id: c.id },
        operationName: 'ReadCase',
      },
      { authorization: `Bearer ${await hub.token(institution.role, institution.org)}`, 'x-request-id': 'audit-read-1' },
    );
    expect(dataOf(result).case.claims).toBe(c.truth.case.claims);
    const [event] = await events({ principal: 'test-institution', decision: 'CLEAR' });
    expect(event).toMatchObject({
      requestId: 'audit-read-1',
      role: 'institution',
      org: c.institutionId,
      caseIds: [c.id],
      operation: 'ReadCase',
    });
    expect(event.categories.sort()).toEqual(['CLAIMS', 'NAME']);
    expect(event.documentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('records withheld values and refused searches', async () => {
    // The operator gets every case as a row, its party data only through a grant.
    await hub.query('query($id: ID!) { case(id: $id) { place } }', { id: c.id }, { role: 'admin' });
    const [withheld] = await events({ principal: 'test-admin', decision: 'WITHHELD' });
    expect(withheld).toMatchObject({ caseIds: [c.id], categories: ['DISPUTE_PLACE'] });
    await hub.query('{ cases(filter: { partyName: "某人" }) { totalCount } }', {}, { role: 'analyst' });
    const [denied] = await events({ principal: 'test-analyst', decision: 'DENIED' });
    expect(denied).toMatchObject({ categories: ['NAME'], caseIds: [] });
    expect(denied.detail).toMatch(/partyName/);
  });

  it('records every step of a grant: requested, approved, granted at once, revoked', async () => {
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const requested = dataOf(
      await hub.query(
        `mutation { grantDataAccess(grantee: "auditor-x", categories: [CLAIMS], purpose: "audit test",
      expiresAt: "${expiresAt}") { id } }`,
        {},
        steward,
      ),
    ).grantDataAccess;
    await hub.query(
      `mutation { approveDataGrant(id: "${requested.id}") { id } }`,
      {},
      { role: 'steward', sub: 'second-steward' },
    );
    await hub.query(`mutation { revokeDataAccess(id: "${requested.id}") { id } }`, {}, steward);
    await hub.query(
      `mutation { grantDataAccess(grantee: "auditor-x", categories: [CLAIMS], purpose: "audit test", scope: { caseId: "${c.id}" },
      expiresAt: "${expiresAt}") { id } }`,
      {},
      steward,
    );
    expect((await events({ principal: 'test-steward' })).map((e: any) => e.decision).slice(0, 3)).toEqual([
      'GRANTED',
      'REVOKED',
      'REQUESTED',
    ]);
    expect((await events({ principal: 'second-steward' })).map((e: any) => e.decision)).toEqual(['APPROVED']);
  });

  it('holds no personal value', async () => {
    const rows = await hub.knex.cases('audit_events').select();
    expect(rows.length).toBeGreaterThan(0);
    expect(leaked(c, rows)).toEqual([]);
  });

  it('is read by stewards only', async () => {
    expect(codesOf(await hub.query(EVENTS, { f: {} }, { role: 'analyst' }))).toEqual(['FORBIDDEN']);
    expect(codesOf(await hub.query(EVENTS, { f: {} }, { role: 'admin' }))).toEqual(['FORBIDDEN']);
  });

  it('detects a changed record and a deleted one', async () => {
    const verify = async () =>
      dataOf(await hub.query('{ verifyAuditChain { ok checked brokenAt reason } }', {}, steward)).verifyAuditChain;
    expect(await verify()).toMatchObject({ ok: true, brokenAt: null });
    const victim = await hub.knex.cases('audit_events').orderBy('seq').offset(1).first();
    await hub.knex.cases('audit_events').where('seq', victim.seq).update({ principal: 'somebody-else' });
    expect(await verify()).toMatchObject({
      ok: false,
      brokenAt: victim.seq,
      reason: `record ${victim.seq} was changed`,
    });
    await hub.knex.cases('audit_events').where('seq', victim.seq).update({ principal: victim.principal });
    expect((await verify()).ok).toBe(true);
    await hub.knex.cases('audit_events').where('seq', victim.seq).del();
    expect(await verify()).toMatchObject({
      ok: false,
      brokenAt: victim.seq,
      reason: `record ${victim.seq} is missing`,
    });
    await hub.knex.cases('audit_events').insert(victim);
    expect((await verify()).ok).toBe(true);
  });

  it('returns no clear value when the audit record cannot be written', async () => {
    // The audit table out of the way: every write to it fails, on sqlite and PostgreSQL alike.
    await hub.knex.cases.raw('alter table audit_events rename to audit_events_away');
    try {
      const result = await hub.query(
        'query($id: ID!) { case(id: $id) { claims parties { name idNumber } } }',
        { id: c.id },
        { role: 'institution', org: c.institutionId },
      );
      expect(result.body.data?.case?.claims ?? null).toBeNull();
      expect(codesOf(result)).toContain('INTERNAL_SERVER_ERROR');
      expect(leaked(c, result.body)).toEqual([]);
    } finally {
      await hub.knex.cases.raw('alter table audit_events_away rename to audit_events');
    }
  });
});
