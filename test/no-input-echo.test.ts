import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from './support/hub.js';
import { signInternalToken } from '../kit/internal-token.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 20, institutions: 20 });
});
afterAll(async () => {
  await hub?.close();
});

/** Where a request goes, and a list field of its schema with a filter that takes an enum. */
const TARGETS = {
  gateway: { list: 'cases', filter: 'CaseFilter' },
  cases: { list: 'cases', filter: 'CaseFilter' },
  institutions: { list: 'institutions', filter: 'InstitutionFilter' },
  referrals: { list: 'referrals', filter: 'ReferralFilter' },
} as const;
type Target = keyof typeof TARGETS;

interface Attack {
  /** Text of the request that must appear in no message and no log line. */
  markers: string[];
  request(list: string, filter: string): { query: string; variables?: Record<string, unknown>; operationName?: string };
}

// Each class of echo graphql-js (or the hub) has, with markers no schema or message would hold by chance.
const ATTACKS: Record<string, Attack> = {
  'a string literal written with escapes, echoed decoded': {
    markers: ['张三ESCA', 'u5f20'],
    request: (list) => ({ query: `{ ${list}(first: "\\u5f20\\u4e09ESC\\u0041") { totalCount } }` }),
  },
  'a block string': {
    markers: ['BLOCKMARK李四', 'second BLOCKLINE'],
    request: (list) => ({ query: `{ ${list}(first: """BLOCKMARK李四\n    second BLOCKLINE""") { totalCount } }` }),
  },
  'a variable value': {
    markers: ['VARMARK王五'],
    request: (list) => ({
      query: `query($n: Int) { ${list}(first: $n) { totalCount } }`,
      variables: { n: 'VARMARK王五' },
    }),
  },
  'an object key of the variables': {
    markers: ['KEYMARK张三'],
    request: (list, filter) => ({
      query: `query($f: ${filter}) { ${list}(filter: $f) { totalCount } }`,
      variables: { f: { KEYMARK张三: 1 } },
    }),
  },
  'an enum value in the variables': {
    markers: ['ENUMVARMARK'],
    request: (list, filter) => ({
      query: `query($f: ${filter}) { ${list}(filter: $f) { totalCount } }`,
      variables: { f: { status: 'ENUMVARMARK' } },
    }),
  },
  'a name in enum position': {
    markers: ['ZHANGSAN_SECRET'],
    request: (list) => ({ query: `{ ${list}(filter: { status: ZHANGSAN_SECRET }) { totalCount } }` }),
  },
  'an object key of a literal': {
    markers: ['OBJKEYMARK'],
    request: (list) => ({ query: `{ ${list}(filter: { OBJKEYMARK: 1 }) { totalCount } }` }),
  },
  'an unknown operation name': {
    markers: ['OPMARK赵六'],
    request: (list) => ({
      query: `query A { ${list}(first: 1) { totalCount } } query B { ${list}(first: 2) { totalCount } }`,
      operationName: 'OPMARK赵六',
    }),
  },
  'an alias': {
    markers: ['ALIASMARK'],
    request: (list) => ({
      query: `{ ALIASMARK: ${list}(first: 1) { totalCount } ALIASMARK: ${list}(first: 2) { totalCount } }`,
    }),
  },
  'an unknown field and fragment': {
    markers: ['FIELDMARK', 'FRAGMARK'],
    request: (list) => ({ query: `{ FIELDMARK ${list}(first: 1) { ...FRAGMARK } }` }),
  },
  'a string in a syntax error': {
    markers: ['SYNTAXMARK孙七'],
    request: (list) => ({ query: `{ ${list}(first: 1 "SYNTAXMARK孙七") { totalCount } }` }),
  },
  'a long number': {
    markers: ['98765432109'],
    request: (list) => ({ query: `{ ${list}(first: 98765432109) { totalCount } }` }),
  },
};

async function internalAuthorization(
  role: Parameters<typeof signInternalToken>[0]['role'] = 'admin',
  org?: string,
): Promise<string> {
  return `Bearer ${await signInternalToken({ sub: 'echo-test', role, org }, hub.config.internalSecret)}`;
}

async function authorizationFor(target: Target, anonymous = false): Promise<Record<string, string>> {
  if (target === 'gateway') return anonymous ? {} : { authorization: `Bearer ${await hub.token('admin')}` };
  return { authorization: await internalAuthorization() };
}

async function send(
  target: Target,
  method: 'GET' | 'POST',
  body: { query: string; variables?: Record<string, unknown>; operationName?: string },
  headers: Record<string, string>,
) {
  const url = hub.urls[target];
  if (method === 'POST') {
    const response = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, text: await response.text() };
  }
  const search = new URLSearchParams({ query: body.query });
  if (body.variables) search.set('variables', JSON.stringify(body.variables));
  if (body.operationName) search.set('operationName', body.operationName);
  const response = await fetch(`${url}?${search}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });
  return { status: response.status, text: await response.text() };
}

function expectNoMarker(text: string, markers: string[], where: string) {
  for (const marker of markers) expect(text, `${where} repeats ${marker}: ${text.slice(0, 600)}`).not.toContain(marker);
}

describe.each(Object.keys(TARGETS) as Target[])('the %s, asked with input it cannot use', (target) => {
  const { list, filter } = TARGETS[target];
  describe.each(['POST', 'GET'] as const)('by %s', (method) => {
    it.each(Object.keys(ATTACKS))('repeats no text of %s in its answer or its logs', async (name) => {
      const attack = ATTACKS[name]!;
      const logsBefore = hub.logs.length;
      const anonymous = target === 'gateway' ? [false, true] : [false];
      for (const anon of anonymous) {
        const result = await send(target, method, attack.request(list, filter), await authorizationFor(target, anon));
        // An answer with errors, never data that the input should not have reached.
        expect(result.text, `${target} ${method}`).toContain('"errors"');
        expectNoMarker(result.text, attack.markers, `${target} ${method}${anon ? ' anonymous' : ''} answer`);
      }
      expectNoMarker(JSON.stringify(hub.logs.slice(logsBefore)), attack.markers, `${target} log`);
    });
  });

  it('answers a body that is not JSON without repeating it', async () => {
    const logsBefore = hub.logs.length;
    const response = await fetch(hub.urls[target], {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await authorizationFor(target)) },
      body: '{"query": "JSONMARK张三',
    });
    const text = await response.text();
    expect(response.status).toBe(400);
    expectNoMarker(text, ['JSONMARK'], `${target} answer`);
    expectNoMarker(JSON.stringify(hub.logs.slice(logsBefore)), ['JSONMARK'], `${target} log`);
  });
});

describe('ids in refusals', () => {
  const mutation = 'mutation($id: ID!) { acceptCase(id: $id, expectedVersion: 1) { id } }';
  const literal = 'mutation { acceptCase(id: "310000-2026-IDMARK2", expectedVersion: 1) { id } }';

  it('names no id of a case not found, through the gateway or to the cases subgraph directly', async () => {
    const logsBefore = hub.logs.length;
    const user = { authorization: `Bearer ${await hub.token('institution', 'IN-00001')}` };
    const internal = { authorization: await internalAuthorization('institution', 'IN-00001') };
    for (const [target, headers] of [
      ['gateway', user],
      ['cases', internal],
    ] as const) {
      for (const body of [{ query: mutation, variables: { id: '310000-2026-IDMARK1' } }, { query: literal }]) {
        const result = await send(target, 'POST', body, headers);
        expect(JSON.parse(result.text).errors[0]).toMatchObject({
          message: 'case not found',
          extensions: { code: 'NOT_FOUND' },
        });
        expectNoMarker(result.text, ['IDMARK'], `${target} answer`);
      }
    }
    expectNoMarker(JSON.stringify(hub.logs.slice(logsBefore)), ['IDMARK'], 'log');
  });
});

describe('request log lines', () => {
  it('name the route served, not the path or query string as sent', async () => {
    const logsBefore = hub.logs.length;
    for (const target of ['gateway', 'cases', 'institutions', 'referrals'] as const) {
      const base = hub.urls[target].replace(/\/graphql$/, '');
      await fetch(`${base}/PATHMARK张三?q=QUERYMARK`, { headers: await authorizationFor(target) });
      await send(
        target,
        'GET',
        { query: '{ __typename }', variables: { v: 'GETVARMARK' } },
        await authorizationFor(target),
      );
    }
    const lines = hub.logs.slice(logsBefore);
    expect(lines.filter((line) => line.msg === 'request').map((line) => line.path)).toEqual(
      expect.arrayContaining(['unrouted', '/graphql']),
    );
    expectNoMarker(JSON.stringify(lines), ['PATHMARK', '%E5%BC%A0', 'QUERYMARK', 'GETVARMARK'], 'log');
  });
});
