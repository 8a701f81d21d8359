import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from './support/hub.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 20 });
});
afterAll(async () => {
  await hub?.close();
});

const base = (url: string) => url.replace(/\/graphql$/, '');

describe('health and readiness', () => {
  it.each(['cases', 'institutions', 'referrals'] as const)('%s answers /healthz and /readyz', async (name) => {
    const health = await fetch(`${base(hub.urls[name])}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${base(hub.urls[name])}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('the gateway answers /healthz, and /readyz with every subgraph up', async () => {
    expect((await fetch(`${base(hub.urls.gateway)}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base(hub.urls.gateway)}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      subgraphs: { cases: 'up', institutions: 'up', referrals: 'up' },
    });
  });

  it('keeps the gateway ready while one subgraph is not, naming it degraded', async () => {
    await hub.knex.referrals.destroy();
    const ready = await fetch(`${base(hub.urls.referrals)}/readyz`);
    expect(ready.status).toBe(503);
    const gateway = await fetch(`${base(hub.urls.gateway)}/readyz`);
    expect(gateway.status).toBe(200);
    expect(await gateway.json()).toEqual({
      status: 'ready',
      subgraphs: { cases: 'up', institutions: 'up', referrals: 'degraded' },
    });
  });
});

describe('request ids', () => {
  it("echoes the caller's request id, passes it to the subgraphs, and makes one when the given one is unsafe", async () => {
    const token = await hub.token('admin');
    const given = await fetch(hub.urls.gateway, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'dash-42' },
      body: JSON.stringify({ query: '{ districts { code } }' }),
    });
    expect(given.headers.get('x-request-id')).toBe('dash-42');
    const lines = hub.logs.filter((line) => line.requestId === 'dash-42' && line.path === '/graphql');
    expect(lines.map((line) => line.service).sort()).toEqual(['gateway', 'institutions']);
    const made = await fetch(hub.urls.gateway, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'x-request-id': 'bad id {"level":60}',
      },
      body: JSON.stringify({ query: '{ districts { code } }' }),
    });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
