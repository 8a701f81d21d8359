import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startHub, type Hub } from './support/hub.js';
import { INTERNAL_AUDIENCE, INTERNAL_ISSUER, signInternalToken } from '../kit/internal-token.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 20 });
});
afterAll(async () => {
  await hub?.close();
});

const SUBGRAPHS = ['cases', 'institutions', 'referrals'] as const;
const REQUESTS = {
  service: { query: '{ _service { sdl } }' },
  entities: {
    query: 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }',
    variables: { r: [{ __typename: 'Institution', id: 'SU-JUSTICE' }] },
  },
};

async function internalToken(claims: { exp: number; iat: number; secret?: string; audience?: string }) {
  return new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('gw')
    .setIssuer(INTERNAL_ISSUER)
    .setAudience(claims.audience ?? INTERNAL_AUDIENCE)
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .sign(new TextEncoder().encode(claims.secret ?? hub.config.internalSecret));
}

describe.each(SUBGRAPHS)('the %s subgraph called directly', (name) => {
  const now = () => Math.floor(Date.now() / 1000);

  it.each(Object.keys(REQUESTS))('refuses %s without any token', async (kind) => {
    const result = await hub.post(hub.urls[name], REQUESTS[kind as keyof typeof REQUESTS]);
    expect(result.status).toBe(401);
    expect(result.body).toEqual({
      errors: [{ message: expect.stringMatching(/missing internal token/), extensions: { code: 'UNAUTHENTICATED' } }],
    });
  });

  it('refuses a user token', async () => {
    const result = await hub.post(hub.urls[name], REQUESTS.entities, {
      authorization: `Bearer ${await hub.token('admin')}`,
    });
    expect(result.status).toBe(401);
    expect(result.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired internal token', async () => {
    const result = await hub.post(hub.urls[name], REQUESTS.service, {
      authorization: `Bearer ${await internalToken({ iat: now() - 120, exp: now() - 60 })}`,
    });
    expect(result.status).toBe(401);
    expect(result.body.errors![0]!.message).toBe('internal token expired');
  });

  it('refuses an internal token signed with another secret, for another audience, or living over 60 s', async () => {
    for (const token of [
      await internalToken({ iat: now(), exp: now() + 30, secret: 'guessed' }),
      await internalToken({ iat: now(), exp: now() + 30, audience: 'someone-else' }),
      await internalToken({ iat: now(), exp: now() + 3600 }),
    ]) {
      const result = await hub.post(hub.urls[name], REQUESTS.entities, { authorization: `Bearer ${token}` });
      expect(result.status).toBe(401);
      expect(result.body.data).toBeUndefined();
    }
  });

  it("answers a valid internal token, as an agency's own router would send it", async () => {
    const token = await signInternalToken({ sub: 'agency-router', role: 'admin' }, hub.config.internalSecret);
    const result = await hub.post(hub.urls[name], REQUESTS.service, { authorization: `Bearer ${token}` });
    expect(result.status).toBe(200);
    expect(result.body.data._service.sdl).toContain('@key');
  });
});
