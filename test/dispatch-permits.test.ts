import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { activeInstitution, caseRow, MUTATIONS } from './support/cases.js';
import { signInternalToken } from '../kit/internal-token.js';
import type { Principal } from '../kit/principal.js';

const RESERVE =
  'mutation($i: ID!, $c: ID!) { reserveDispatch(institutionId: $i, caseId: $c) { institutionId supervisingUnitId grantedAt } }';

describe('dispatch permits from the institutions registry', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ cases: 200, institutions: 100 });
  });
  afterAll(async () => {
    await hub?.close();
  });

  const submitted = (offset: number) =>
    hub.knex.cases('cases').where('status', 'SUBMITTED').orderBy('seq').offset(offset).first();
  const reserveDirectly = async (principal: Principal, institutionId: string, caseId = '310000-2026-0000001') =>
    hub.post(
      hub.urls.institutions,
      { query: RESERVE, variables: { i: institutionId, c: caseId } },
      { authorization: `Bearer ${await signInternalToken(principal, hub.config.internalSecret)}` },
    );

  it('records a permit for each dispatch, in the registry, with the supervisor and the case', async () => {
    const row = await submitted(0);
    const target = await activeInstitution(hub);
    const dispatched = dataOf(
      await hub.query(
        MUTATIONS.dispatch,
        { id: row.id, to: target.id, v: row.version },
        { role: 'supervisor', org: target.unit },
      ),
    ).dispatchCase;
    expect(dispatched).toMatchObject({
      status: 'DISPATCHED',
      institution: { id: target.id },
      supervisingUnit: { id: target.unit },
    });
    const permits = await hub.knex.institutions('dispatch_permits').where('case_id', row.id);
    expect(permits).toEqual([
      expect.objectContaining({
        institution_id: target.id,
        supervising_unit_id: target.unit,
        supervisor: 'test-supervisor',
      }),
    ]);
  });

  it('refuses a suspended, closed or pending institution, naming its status, and leaves the case as it was', async () => {
    for (const [index, status] of ['SUSPENDED', 'CLOSED', 'PENDING'].entries()) {
      const target = await hub.knex
        .institutions('institutions')
        .where('status', status)
        .whereNotNull('supervising_unit_id')
        .first();
      const row = await submitted(1 + index);
      const result = await hub.query(
        MUTATIONS.dispatch,
        { id: row.id, to: target.id, v: row.version },
        { role: 'supervisor', org: target.supervising_unit_id },
      );
      expect(result.body.errors![0]).toMatchObject({
        message: `institution ${target.id} is ${status}: only an ACTIVE institution takes new cases`,
        extensions: { code: 'INSTITUTION_NOT_ACTIVE', institutionStatus: status },
      });
      expect(await caseRow(hub, row.id)).toMatchObject({
        status: 'SUBMITTED',
        version: row.version,
        institution_id: null,
      });
      expect(await hub.knex.institutions('dispatch_permits').where('institution_id', target.id)).toEqual([]);
    }
  });

  it("refuses another unit's institution as FORBIDDEN without a word about it, and an unknown one as NOT_FOUND", async () => {
    const row = await submitted(5);
    const target = await activeInstitution(hub);
    const other = await hub.knex
      .institutions('institutions')
      .where('kind', 'SUPERVISING_UNIT')
      .whereNot('id', target.unit)
      .first();
    const foreign = await hub.query(
      MUTATIONS.dispatch,
      { id: row.id, to: target.id, v: row.version },
      { role: 'supervisor', org: other.id },
    );
    expect(codesOf(foreign)).toEqual(['FORBIDDEN']);
    expect(foreign.body.errors![0]!.message).not.toContain(target.id);
    const unknown = await hub.query(
      MUTATIONS.dispatch,
      { id: row.id, to: 'IN-99999', v: row.version },
      { role: 'supervisor', org: target.unit },
    );
    expect(codesOf(unknown)).toEqual(['NOT_FOUND']);
    expect(await caseRow(hub, row.id)).toMatchObject({ status: 'SUBMITTED', version: row.version });
  });

  it("answers only the target's supervising unit when asked directly with an internal token", async () => {
    const target = await activeInstitution(hub);
    for (const principal of [
      { sub: 'a', role: 'admin' },
      { sub: 'i', role: 'institution', org: target.id },
      { sub: 'u', role: 'supervisor', org: 'SU-ELSEWHERE' },
    ] as Principal[]) {
      expect(codesOf(await reserveDirectly(principal, target.id))).toEqual(['FORBIDDEN']);
    }
    const permit = dataOf(
      await reserveDirectly({ sub: 'u', role: 'supervisor', org: target.unit }, target.id),
    ).reserveDispatch;
    expect(permit).toMatchObject({ institutionId: target.id, supervisingUnitId: target.unit });
    expect(Date.parse(permit.grantedAt)).not.toBeNaN();
  });

  it('is not exposed by the gateway', async () => {
    const target = await activeInstitution(hub);
    const result = await hub.query(RESERVE, { i: target.id, c: 'x' }, { role: 'supervisor', org: target.unit });
    expect(codesOf(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    // An unknown field's name is request text, withheld (kit/echo-scrub.ts).
    expect(result.body.errors![0]!.message).toBe('Cannot query field "<input withheld>" on type "Mutation".');
  });
});
