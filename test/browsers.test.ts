/**
 * Browsers on another origin may call the gateway only from the origins `JIEFEN_CORS_ORIGINS` lists: their
 * preflights are answered and their answers readable; any other origin gets no CORS header, so its page can read
 * nothing. CSRF protection holds for everything that needs no preflight: a form's POST or a plain GET is refused
 * before it runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../gateway/service.js';
import { ConfigError, loadConfig } from '../kit/config.js';
import { createLogger } from '../kit/log.js';
import { startHub, type Hub } from './support/hub.js';

const PORTAL = 'https://portal.tiaojie.example.gov.cn';
const STRANGER = 'https://elsewhere.example.com';

let hub: Hub;
let gateway: RunningGateway;
beforeAll(async () => {
  hub = await startHub({ cases: 10 });
  gateway = await startGateway(
    { ...hub.config, corsOrigins: [PORTAL, 'http://127.0.0.1:5173'] },
    createLogger('gateway', 'fatal'),
  );
});
afterAll(async () => {
  await gateway?.close();
  await hub?.close();
});

const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });

describe('CORS', () => {
  it("answers a listed origin's preflight, before authentication", async () => {
    const response = await preflight(gateway.url, PORTAL);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET,POST');
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'authorization,content-type,x-request-id,apollo-require-preflight,x-apollo-operation-name',
    );
    expect(response.headers.get('access-control-max-age')).toBe('600');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it('lets a listed origin read the answer and its request id', async () => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: {
        origin: PORTAL,
        'content-type': 'application/json',
        authorization: `Bearer ${await hub.token('admin')}`,
      },
      body: JSON.stringify({ query: '{ districts { code } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(response.headers.get('access-control-expose-headers')).toBe('x-request-id,retry-after');
    expect((await response.json()).data.districts.length).toBeGreaterThan(0);
  });

  it('gives another origin no CORS header, on its preflight or its request', async () => {
    const refused = await preflight(gateway.url, STRANGER);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await fetch(gateway.url, {
      method: 'POST',
      headers: { origin: STRANGER, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ districts { code } }' }),
    });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends no CORS header at all where no origin is listed', async () => {
    const response = await preflight(hub.urls.gateway, PORTAL);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a listed origin that is not an origin', () => {
    expect(loadConfig({ JIEFEN_CORS_ORIGINS: `${PORTAL}, http://127.0.0.1:5173` }).corsOrigins).toEqual([
      PORTAL,
      'http://127.0.0.1:5173',
    ]);
    expect(() => loadConfig({ JIEFEN_CORS_ORIGINS: `${PORTAL}/app` })).toThrow(ConfigError);
    expect(() => loadConfig({ JIEFEN_CORS_ORIGINS: '*' })).toThrow(
      'JIEFEN_CORS_ORIGINS entry 1 must be an origin: http(s)://host[:port], without a path or a trailing slash',
    );
  });
});

describe('CSRF protection, for requests a browser sends without a preflight', () => {
  it.each([
    // A POST that is not JSON is not read (kit/http.ts).
    [
      'a form POST (text/plain)',
      415,
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: '{ districts { code } }' }),
      },
    ],
    [
      'a form POST (urlencoded)',
      415,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'query=%7B%20districts%20%7B%20code%20%7D%20%7D',
      },
    ],
    // Apollo Server's CSRF prevention: a GET needs a header only a preflighted request may carry.
    ['a plain GET', 400, { method: 'GET', headers: {} }],
  ])(
    'refuses %s from a listed origin, before it runs',
    async (_name, status, init: { method: string; headers: Record<string, string>; body?: string }) => {
      const url =
        init.method === 'GET' ? `${gateway.url}?query=${encodeURIComponent('{ districts { code } }')}` : gateway.url;
      const response = await fetch(url, { ...init, headers: { ...init.headers, origin: PORTAL } });
      expect(response.status).toBe(status);
      const body = await response.json();
      expect(body.data).toBeUndefined();
      expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    },
  );
});
