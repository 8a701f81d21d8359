import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type GraphQLResult, type Hub } from './support/hub.js';
import { REGISTRY, supervisor } from './support/registry.js';
import { signInternalToken } from '../kit/internal-token.js';
import { ANONYMOUS } from '../kit/principal.js';

/** What the directory shows without a token: these fields and nothing else. */
const PUBLIC_INSTITUTION_FIELDS = ['id', 'name', 'kind', 'district', 'districtName', 'categories'];

describe('the public directory keeps every non-public field out of reach without a token', () => {
  let hub: Hub;
  let institutionFields: { name: string; leaf: boolean; args: string[]; required: string[] }[];
  beforeAll(async () => {
    hub = await startHub({ cases: 20, institutions: 60 });
    const type = dataOf(
      await hub.query(
        `{ __type(name: "Institution") { fields { name args { name type { kind } } type { kind ofType { kind ofType { kind ofType { kind } } } } } } }`,
      ),
    ).__type;
    const leafKind = (t: any): boolean => (t.ofType ? leafKind(t.ofType) : t.kind === 'SCALAR' || t.kind === 'ENUM');
    institutionFields = type.fields.map((f: any) => ({
      name: f.name,
      leaf: leafKind(f.type),
      args: f.args.map((a: any) => a.name),
      // Required arguments (a period's from and to) get a valid value, so the refusal is about the token.
      required: f.args
        .filter((a: any) => a.type.kind === 'NON_NULL')
        .map((a: any) => `${a.name}: "2026-01-01T00:00:00Z"`),
    }));
  });
  afterAll(async () => {
    await hub?.close();
  });

  const anonymous = (query: string, variables: Record<string, unknown> = {}) => hub.query(query, variables, null);
  const expectRefused = (result: GraphQLResult, coordinate: RegExp) => {
    expect(codesOf(result)).toEqual(['UNAUTHENTICATED']);
    expect(result.body.errors![0]!.message).toMatch(coordinate);
    expect(result.body.data ?? null).toBeNull();
  };

  it('answers the public fields of every institution kind', async () => {
    const data = dataOf(
      await anonymous(
        `{ institutions(first: 500) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${PUBLIC_INSTITUTION_FIELDS.join(' ')} } } } districts { code name } }`,
      ),
    );
    expect(data.institutions.totalCount).toBeGreaterThan(0);
    expect(data.districts).toHaveLength(16);
  });

  it('refuses each other field of Institution, as a field, under an alias and in a fragment', async () => {
    const hidden = institutionFields.filter((f) => !PUBLIC_INSTITUTION_FIELDS.includes(f.name));
    // Registry fields and joins contributed by the other subgraphs alike.
    expect(hidden.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'status',
        'street',
        'community',
        'supervisingUnit',
        'managedInstitutions',
        'liaison',
        'listed',
        'createdAt',
        'statusChangedAt',
        'openComplaintCount',
        'changeRequests',
        'cases',
        'referralsReceived',
      ]),
    );
    for (const field of hidden) {
      const call = field.required.length ? `${field.name}(${field.required.join(', ')})` : field.name;
      const selection = field.leaf ? call : `${call} { __typename }`;
      const coordinate = new RegExp(`Institution\\.${field.name} needs a token`);
      expectRefused(await anonymous(`{ institutions { edges { node { id ${selection} } } } }`), coordinate);
      expectRefused(await anonymous(`{ institutions { edges { node { id peek: ${selection} } } } }`), coordinate);
      expectRefused(
        await anonymous(
          `{ institutions { edges { node { ...F } } } } fragment F on Institution { name ... on Institution { ${selection} } }`,
        ),
        coordinate,
      );
    }
  });

  it.each([
    ['an institution by id', '{ institution(id: "IN-00001") { name } }', /Query\.institution needs a token/],
    ['the change history', '{ institutionChanges { totalCount } }', /Query\.institutionChanges needs a token/],
    ['complaints', '{ complaints { totalCount } }', /Query\.complaints needs a token/],
    ['cases', '{ cases { totalCount } }', /Query\.cases needs a token/],
    ['referrals', '{ referrals { totalCount } }', /Query\.referrals needs a token/],
    [
      'a supervising unit through a directory entry',
      '{ institutions { edges { node { supervisingUnit { name } } } } }',
      /Institution\.supervisingUnit needs a token/,
    ],
    [
      'managed institutions through a directory entry',
      '{ institutions { edges { node { managedInstitutions { edges { node { liaison { phone } } } } } } } }',
      /Institution\.managedInstitutions needs a token/,
    ],
    [
      'a filter on status (ignored) with status selected',
      '{ institutions(filter: { status: SUSPENDED }) { edges { node { name status } } } }',
      /Institution\.status needs a token/,
    ],
  ])('refuses %s', async (_label, query, message) => {
    expectRefused(await anonymous(query), message);
  });

  it.each([
    ['fileComplaint', `mutation { fileComplaint(institutionId: "IN-00001", subject: "匿名投诉") { id } }`],
    [
      'requestInstitutionChange',
      `mutation { requestInstitutionChange(input: { kind: SUSPEND, institutionId: "IN-00001", reason: "x" }) { id } }`,
    ],
    ['decideInstitutionChange', `mutation { decideInstitutionChange(id: "1", decision: APPROVE, note: "x") { id } }`],
    ['resolveComplaint', `mutation { resolveComplaint(id: "1", outcome: UNFOUNDED, note: "x") { id } }`],
  ])('refuses the mutation %s', async (_label, query) => {
    expectRefused(await anonymous(query), /mutation needs a token/);
    expect(await hub.knex.institutions('complaints')).toEqual([]);
  });

  it('refuses the same fishing at the institutions subgraph itself, for a request the gateway forwards as anonymous', async () => {
    const authorization = `Bearer ${await signInternalToken(ANONYMOUS, hub.config.internalSecret)}`;
    const direct = (query: string, variables: Record<string, unknown> = {}) =>
      hub.post(hub.urls.institutions, { query, variables }, { authorization });
    const entities = await direct(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Institution { name status liaison { phone } } } }`,
      { r: [{ __typename: 'Institution', id: 'IN-00001' }] },
    );
    expect(codesOf(entities)[0]).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(entities.body.data ?? {})).not.toMatch(/ACTIVE|SUSPENDED|phone/);
    for (const field of ['status', 'listed', 'openComplaintCount']) {
      const result = await direct(`{ institutions { edges { node { name ${field} } } } }`);
      expect(result.body.errors![0]!.message).toMatch(new RegExp(`Institution\\.${field} needs a token`));
      expect(JSON.stringify(result.body.data ?? {})).not.toMatch(new RegExp(`"${field}":(?!null)`));
    }
  });

  it('drops an institution from the directory as soon as its suspension is approved', async () => {
    const listed = await hub.knex
      .institutions('institutions')
      .where({ status: 'ACTIVE', listed: true })
      .whereNotNull('supervising_unit_id')
      .orderBy('seq')
      .first();
    const directoryIds = async () =>
      dataOf(await anonymous(`{ institutions(first: 500) { edges { node { id } } } }`)).institutions.edges.map(
        (e: any) => e.node.id,
      );
    expect(await directoryIds()).toContain(listed.id);
    const filed = dataOf(
      await hub.query(
        REGISTRY.request,
        { input: { kind: 'SUSPEND', institutionId: listed.id, reason: '暂停' } },
        supervisor(listed.supervising_unit_id),
      ),
    ).requestInstitutionChange;
    dataOf(await hub.query(REGISTRY.decide, { id: filed.id, decision: 'APPROVE', note: '同意' }));
    expect(await directoryIds()).not.toContain(listed.id);
  });
});
