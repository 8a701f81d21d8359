import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from './support/hub.js';
import { signInternalToken } from '../kit/internal-token.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 10, institutions: 12 });
});
afterAll(async () => {
  await hub?.close();
});

const SUBGRAPHS = ['cases', 'institutions', 'referrals'] as const;
const QUERY = '{ _service { sdl } }';

// Other spellings of the two authenticated routes: what a router may decode, normalise or ignore.
const GRAPHQL_SPELLINGS = [
  '/graphql',
  '/%67raphql',
  '/graph%71l',
  '/%2Fgraphql',
  '/graphql?x',
  '/graphql?',
  '/graphql/',
  '/graphql//',
  '//graphql',
  '/GRAPHQL',
  '/GraphQL',
  '/graphql/.',
  '/./graphql',
  '/x/../graphql',
  '/graphql%20',
  '/graphql;x',
  '/graphql#x',
];
const GENERATION_SPELLINGS = [
  '/generation',
  '/generation?',
  '/generation?x=1',
  '/%67eneration',
  '/generation/',
  '//generation',
  '/GENERATION',
  '/Generation',
  '/./generation',
];

function base(name: (typeof SUBGRAPHS)[number]): string {
  return hub.urls[name].replace(/\/graphql$/, '');
}

async function send(url: string, method: string, path: string, authorization?: string) {
  const withQuery =
    method === 'POST' ? path : `${path}${path.includes('?') ? '&' : '?'}query=${encodeURIComponent(QUERY)}`;
  const response = await fetch(url + withQuery, {
    method,
    headers: {
      'content-type': 'application/json',
      'apollo-require-preflight': 'true',
      ...(authorization ? { authorization } : {}),
    },
    body: method === 'POST' ? JSON.stringify({ query: QUERY }) : undefined,
  });
  return { status: response.status, text: await response.text() };
}

describe.each(SUBGRAPHS)('the %s subgraph, on every spelling of its routes', (name) => {
  it.each(['GET', 'POST', 'HEAD'])('answers %s without the internal token with 401 or an empty 404', async (method) => {
    for (const path of [...GRAPHQL_SPELLINGS, ...GENERATION_SPELLINGS]) {
      const result = await send(base(name), method, path);
      expect([401, 404], `${method} ${path}: ${result.status}`).toContain(result.status);
      expect(result.text, `${method} ${path}`).not.toMatch(/sdl|"data"|"generation"/);
    }
  });

  it('refuses the served spellings with 401, naming the missing token', async () => {
    for (const path of ['/graphql', '/graphql?x', '/generation', '/generation?']) {
      const result = await send(base(name), 'POST', path);
      expect(result.status, path).toBe(401);
      expect(JSON.parse(result.text)).toEqual({
        errors: [{ message: expect.stringMatching(/missing internal token/), extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
  });

  it('answers the probes without a token, and the routes with one', async () => {
    for (const path of ['/healthz', '/readyz', '/healthz?x'])
      expect((await fetch(base(name) + path)).status, path).toBe(200);
    const authorization = `Bearer ${await signInternalToken({ sub: 'route-test', role: 'admin' }, hub.config.internalSecret)}`;
    expect((await send(base(name), 'POST', '/graphql', authorization)).text).toContain('sdl');
    expect((await send(base(name), 'GET', '/graphql', authorization)).text).toContain('sdl');
    expect(JSON.parse((await send(base(name), 'GET', '/generation', authorization)).text)).toEqual({
      generation: expect.any(Number),
    });
  });
});
