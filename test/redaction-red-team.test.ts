/**
 * Attacks on the privacy rule through every path a client can take, against the real federation: each proves that
 * no party data of the case reaches a principal who neither handles it nor holds a grant for it. The attacker is the
 * platform's operator (admin), who gets every case as a row but its party data only through a grant; an analyst gets
 * no row of a case outside its grants at all (test/case-rows-own-work-and-grants.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { CASE_SELECTION, leaked, outsiders, referredCase, type CaseFixture } from './support/privacy.js';
import { signInternalToken } from '../kit/internal-token.js';

let hub: Hub;
let c: CaseFixture;
let others: Awaited<ReturnType<typeof outsiders>>;
const analyst = { role: 'analyst' };
const operator = { role: 'admin' };

beforeAll(async () => {
  hub = await startHub({ cases: 120 });
  c = await referredCase(hub);
  others = await outsiders(hub, c);
});
afterAll(async () => {
  await hub?.close();
});

/** The SQL the cases store runs while `during` runs. */
async function casesStatements(during: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (q: { sql: string }) => {
    seen.push(q.sql);
  };
  hub.knex.cases.on('query', listener);
  try {
    await during();
  } finally {
    hub.knex.cases.removeListener('query', listener);
  }
  return seen;
}
const readsCases = (sql: string) => /from [`"]?(cases|parties)[`"]?/i.test(sql);

/** The attack answered, and none of the case's party data is anywhere in the answer. */
async function attack(
  query: string,
  variables: Record<string, unknown> = {},
  as: { role: string; org?: string } | null = operator,
) {
  const result = await hub.query(query, { id: c.id, ...variables }, as);
  expect(leaked(c, result.body)).toEqual([]);
  return result;
}

describe('field selection', () => {
  it('nulls every marked field of a case for the operator, and says how many values were withheld', async () => {
    const result = await attack(`query($id: ID!) { case(id: $id) { ${CASE_SELECTION} } }`);
    const data = dataOf(result).case;
    expect(data.id).toBe(c.id);
    expect(data.parties.every((p: any) => p.name === null && p.idNumber === null && p.phone === null)).toBe(true);
    expect(result.body.extensions?.redaction?.withheld?.NAME).toBe(data.parties.length);
  });

  it('decides on the field, not the response key: aliases named constructor, toString and hasOwnProperty', async () => {
    const result = await attack(`query($id: ID!) { case(id: $id) { constructor: place toString: claims
      parties { valueOf: name hasOwnProperty: phone } } }`);
    const data = dataOf(result).case;
    expect(data.constructor).toBeNull();
    expect(data.toString).toBeNull();
    expect(data.parties[0].valueOf).toBeNull();
  });

  it('refuses aliases named __typename or __proto__ outright, naming the field and not repeating the alias', async () => {
    for (const alias of ['__typename', '__proto__']) {
      const result = await attack(`query($id: ID!) { case(id: $id) { parties { ${alias}: name } } }`);
      expect(codesOf(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(result.body.errors![0]!.message).toBe(
        'An alias of field "name" starts with "__", which GraphQL reserves for introspection.',
      );
    }
  });

  it('gives an alias of a marked field no clear value even when the same field is selected twice under two names', async () => {
    await attack(`query($id: ID!) { case(id: $id) { a: claims b: claims parties { x: name y: name } } }`);
  });

  it('redacts through inline fragments, with and without a type condition', async () => {
    await attack(
      `query($id: ID!) { case(id: $id) { ... on Case { claims parties { ... on Party { name idNumber } } } ... { place } } }`,
    );
  });

  it('redacts through named fragments, nested and reused', async () => {
    await attack(`query($id: ID!) { case(id: $id) { ...C } a: case(id: $id) { ...C } }
      fragment C on Case { claims ...P parties { ...Q } } fragment P on Case { place occurredAt } fragment Q on Party { name email address }`);
  });

  it('redacts under @include and @skip driven by variables', async () => {
    await attack(
      `query($id: ID!, $yes: Boolean!, $no: Boolean!) { case(id: $id) { claims @include(if: $yes) place @skip(if: $no)
      parties @include(if: $yes) { name @skip(if: $no) } } }`,
      { yes: true, no: false },
    );
  });

  it("redacts the timeline's reasons and the case's outcome texts", async () => {
    const result = await attack(
      `query($id: ID!) { case(id: $id) { agreementSubject remedies rejectionReason description timeline { reason } } }`,
    );
    expect(dataOf(result).case.timeline.every((e: any) => e.reason === null)).toBe(true);
  });

  it('redacts a field found by introspection, then asked for', async () => {
    const fields = dataOf(
      await hub.query('{ __type(name: "Party") { fields { name } } }', {}, analyst),
    ).__type.fields.map((f: any) => f.name);
    expect(fields).toContain('idNumber');
    await attack(`query($id: ID!) { case(id: $id) { parties { ${fields.join(' ')} } } }`);
  });
});

describe('joins', () => {
  it('redacts a case reached through Institution.cases', async () => {
    await attack(
      `query($inst: ID!) { institution(id: $inst) { cases(first: 50) { edges { node { ${CASE_SELECTION} } } } } }`,
      { inst: c.institutionId },
    );
  });

  it('redacts a case reached through Referral.case and back through Case.referrals', async () => {
    await attack(`{ referrals(first: 100) { edges { node { case { claims parties { name idNumber }
      referrals { case { place parties { phone } } } } } } } }`);
  });

  it("redacts a case reached through a court's referralsReceived", async () => {
    await attack(
      `query($court: ID!) { institution(id: $court) { referralsReceived(first: 50) { edges { node { case { ${CASE_SELECTION} } } } } } }`,
      { court: c.referredTo },
    );
  });

  it('offers no _entities or _service through the gateway', async () => {
    const result = await attack(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Case { claims } } }`, {
      r: [{ __typename: 'Case', id: c.id }],
    });
    expect(codesOf(result)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(result.body.data).toBeUndefined();
  });

  it('keeps the subgraph-only operations out of the public schema', async () => {
    for (const query of [
      '{ myDataGrants { id } }',
      '{ referralTargetsOf(caseIds: ["x"]) { caseId } }',
      '{ partyDataClearance(caseIds: ["x"], category: NAME) }',
    ]) {
      expect(codesOf(await attack(query))).toContain('GRAPHQL_VALIDATION_FAILED');
    }
  });
});

describe('the cases subgraph called directly', () => {
  it("redacts for the operator's internal token as the gateway does", async () => {
    const token = await signInternalToken({ sub: 'router-admin', role: 'admin' }, hub.config.internalSecret);
    const result = await hub.post(
      hub.urls.cases,
      { query: `query($id: ID!) { case(id: $id) { ${CASE_SELECTION} } }`, variables: { id: c.id } },
      { authorization: `Bearer ${token}` },
    );
    expect(dataOf(result).case.id).toBe(c.id);
    expect(leaked(c, result.body)).toEqual([]);
  });

  it("redacts through _entities for the operator's internal token, and gives an analyst's no row", async () => {
    const token = await signInternalToken({ sub: 'router-admin', role: 'admin' }, hub.config.internalSecret);
    const result = await hub.post(
      hub.urls.cases,
      {
        query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Case { claims place parties { name idNumber } } } }`,
        variables: { r: [{ __typename: 'Case', id: c.id }] },
      },
      { authorization: `Bearer ${token}` },
    );
    expect(dataOf(result)._entities[0].claims).toBeNull();
    expect(leaked(c, result.body)).toEqual([]);
    const analystToken = await signInternalToken({ sub: 'router-analyst', role: 'analyst' }, hub.config.internalSecret);
    const asAnalyst = await hub.post(
      hub.urls.cases,
      {
        query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Case { id claims } } }`,
        variables: { r: [{ __typename: 'Case', id: c.id }] },
      },
      { authorization: `Bearer ${analystToken}` },
    );
    expect(dataOf(asAnalyst)._entities).toEqual([null]);
  });

  it('refuses a forged token (signed with the user-token secret) and an expired one', async () => {
    const forged = await new SignJWT({ role: 'institution', org: c.institutionId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setIssuer('jiefen-gateway')
      .setAudience('jiefen-subgraphs')
      .setIssuedAt()
      .setExpirationTime('30s')
      .sign(new TextEncoder().encode(hub.config.jwt.secret!));
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ role: 'institution', org: c.institutionId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setIssuer('jiefen-gateway')
      .setAudience('jiefen-subgraphs')
      .setIssuedAt(now - 100)
      .setExpirationTime(now - 50)
      .sign(new TextEncoder().encode(hub.config.internalSecret));
    for (const token of [forged, expired, '']) {
      const result = await hub.post(
        hub.urls.cases,
        { query: `query($id: ID!) { case(id: $id) { claims } }`, variables: { id: c.id } },
        token ? { authorization: `Bearer ${token}` } : {},
      );
      expect(result.status).toBe(401);
      expect(leaked(c, result.body)).toEqual([]);
    }
  });
});

describe('filters as oracles', () => {
  const name = () => c.truth.parties[0]!.name as string;
  const idNumber = () => c.truth.parties.find((p) => p.idNumber)!.idNumber as string;

  it.each([
    [
      'a party name as a literal',
      () => `{ cases(filter: { partyName: ${JSON.stringify(name())} }) { totalCount } }`,
      {},
    ],
    [
      'a party name in a variable',
      () => 'query($f: CaseFilter) { cases(filter: $f) { totalCount } }',
      () => ({ f: { partyName: name() } }),
    ],
    [
      'an ID number in a variable',
      () => 'query($f: CaseFilter) { cases(filter: $f) { edges { node { id } } } }',
      () => ({ f: { partyIdNumber: idNumber() } }),
    ],
    [
      'an ID number through Institution.cases',
      () =>
        `query($inst: ID!, $n: String) { institution(id: $inst) { cases(filter: { partyIdNumber: $n }) { totalCount } } }`,
      () => ({ inst: c.institutionId, n: idNumber() }),
    ],
  ])('refuses a search by %s without clearance, before reading, and audits it', async (_label, query, variables) => {
    const before = await hub.knex.cases('audit_events').where('decision', 'DENIED').count({ n: '*' });
    let result: Awaited<ReturnType<typeof attack>> | undefined;
    const statements = await casesStatements(async () => {
      result = await attack(query(), typeof variables === 'function' ? variables() : variables);
    });
    if (!result) throw new Error('no answer');
    expect(codesOf(result)).toEqual(['FORBIDDEN']);
    expect(result.body.data ?? null).toBeNull();
    expect(result.body.errors![0]!.message).toMatch(
      /CaseFilter\.party(Name|IdNumber): searching by party data needs clearance/,
    );
    // The cases store saw the grant lookup and the refusal's audit record, and read no case.
    const denied = (await hub.knex.cases('audit_events').where('decision', 'DENIED').count({ n: '*' }))[0]!.n;
    expect(Number(denied)).toBe(Number(before[0]!.n) + 1);
    expect(statements.filter(readsCases)).toEqual([]);
  });

  it('lets the assigned institution search its own cases by party name, and only its own', async () => {
    const result = await hub.query(
      'query($n: String) { cases(filter: { partyName: $n }) { edges { node { id institution { id } } } } }',
      { n: name() },
      { role: 'institution', org: c.institutionId },
    );
    const nodes = dataOf(result).cases.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => n.id)).toContain(c.id);
    expect(nodes.every((n: any) => n.institution.id === c.institutionId)).toBe(true);
  });

  it('finds nothing for another institution searching the same name', async () => {
    const result = await hub.query(
      'query($n: String) { cases(filter: { partyName: $n }) { totalCount } }',
      { n: name() },
      { role: 'institution', org: others.institution },
    );
    const cases = dataOf(result).cases;
    const own = await hub.knex
      .cases('cases')
      .join('parties', 'parties.case_seq', 'cases.seq')
      .where({ 'parties.name': name(), 'cases.institution_id': others.institution })
      .count({ n: '*' });
    expect(cases.totalCount).toBe(Number(own[0]!.n));
  });
});

describe('errors', () => {
  it('does not echo an invalid variable value', async () => {
    const result = await attack('query($f: CaseFilter) { cases(filter: $f) { totalCount } }', {
      f: { submittedFrom: c.truth.parties[0]!.name },
    });
    expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.body.errors![0]!.message).toMatch(/Variable "\$f" got invalid value/);
  });

  it('does not echo an invalid literal', async () => {
    const result = await attack(
      `{ cases(filter: { submittedFrom: ${JSON.stringify(c.truth.parties[0]!.idNumber ?? c.truth.parties[0]!.name)} }) { totalCount } }`,
    );
    expect(codesOf(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('does not echo a value in a syntax error', async () => {
    const result = await attack(
      `{ cases(filter: { partyName: ${JSON.stringify(c.truth.parties[0]!.name)} ) { totalCount } }`,
    );
    expect(codesOf(result)).toEqual(['GRAPHQL_PARSE_FAILED']);
  });

  it('makes no "Did you mean" suggestions for a misspelt field', async () => {
    const result = await attack(`query($id: ID!) { case(id: $id) { partys { nam } claim } }`);
    expect(codesOf(result)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(result.body)).not.toMatch(/Did you mean/);
  });

  it('writes no party data to any service log', async () => {
    expect(leaked(c, hub.logs)).toEqual([]);
  });
});

describe('cursors and batches', () => {
  it('gives cursors that decode to nothing readable', async () => {
    const result = await attack(
      `query($inst: ID!) { institution(id: $inst) { cases(first: 3) { edges { cursor } pageInfo { endCursor } } } }`,
      { inst: c.institutionId },
    );
    for (const edge of dataOf(result).institution.cases.edges) {
      const decoded = Buffer.from(edge.cursor, 'base64url').toString('latin1');
      expect(decoded).not.toMatch(/\d{4}-\d{2}-\d{2}|310000-\d{4}/);
      expect(decoded).not.toContain(c.id);
      expect(leaked(c, decoded)).toEqual([]);
    }
  });

  it('answers a batch of operations in one request with nothing in clear', async () => {
    const body = [1, 2].map(() => ({
      query: `query($id: ID!) { case(id: $id) { claims parties { name } } }`,
      variables: { id: c.id },
    }));
    const result = await hub.post(hub.urls.gateway, body, { authorization: `Bearer ${await hub.token('admin')}` });
    expect(leaked(c, result.body)).toEqual([]);
  });
});

describe('aggregates', () => {
  it('publish no count from 1 to 4 to an analyst, however finely grouped', async () => {
    const rows = dataOf(
      await attack(
        '{ caseStats(groupBy: [INSTITUTION, CATEGORY, MONTH]) { perturbed received resolved open } }',
        {},
        analyst,
      ),
    ).caseStats;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r: any) => r.perturbed)).toBe(true);
    for (const row of rows)
      for (const n of [row.received, row.resolved, row.open]) expect(n === 0 || n >= 5).toBe(true);
  });
});

describe('handling decides per record', () => {
  it('shows another institution nothing of the case, not even its row', async () => {
    const result = await attack(
      `query($id: ID!) { case(id: $id) { ${CASE_SELECTION} } }`,
      {},
      { role: 'institution', org: others.institution },
    );
    expect(dataOf(result).case).toBeNull();
  });

  it('shows another supervising unit nothing of the case', async () => {
    await attack(
      `query($id: ID!) { case(id: $id) { ${CASE_SELECTION} } }`,
      {},
      { role: 'supervisor', org: others.unit },
    );
  });

  it('shows a court the case was not referred to nothing of it', async () => {
    await attack(`query($id: ID!) { case(id: $id) { ${CASE_SELECTION} } }`, {}, { role: 'court', org: others.court });
  });

  it('shows admin and intake nothing without a grant', async () => {
    for (const role of ['admin', 'intake', 'steward'])
      await attack(`query($id: ID!) { case(id: $id) { ${CASE_SELECTION} } }`, {}, { role });
  });

  it('stops showing a case to the institution it was re-dispatched away from', async () => {
    const institution = { role: 'institution', org: c.institutionId };
    const before = dataOf(
      await hub.query(`query($id: ID!) { case(id: $id) { claims parties { name } } }`, { id: c.id }, institution),
    ).case;
    expect(before.parties[0].name).toBe(c.truth.parties[0]!.name);
    // The registry moves the case elsewhere (as a divert would): the former institution no longer handles it.
    await hub.knex.cases('cases').where('id', c.id).update({ institution_id: others.institution });
    try {
      await attack(`query($id: ID!) { case(id: $id) { ${CASE_SELECTION} } }`, {}, institution);
    } finally {
      await hub.knex.cases('cases').where('id', c.id).update({ institution_id: c.institutionId });
    }
  });
});

describe('the gateway as the second line', () => {
  it("refuses an analyst's party-data search at the gateway even when the subgraph is never asked", async () => {
    let codes: string[] = [];
    const statements = await casesStatements(async () => {
      codes = codesOf(
        await hub.query('{ cases(filter: { partyIdNumber: "11010519491231002X" }) { totalCount } }', {}, analyst),
      );
    });
    expect(codes).toEqual(['FORBIDDEN']);
    expect(statements.filter(readsCases)).toEqual([]);
  });
});
