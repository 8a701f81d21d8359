import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ConfigError, loadConfig } from '../kit/config.js';
import { userTokenVerifier } from '../gateway/authenticate.js';

describe('production configuration', () => {
  it('refuses to start without a JWKS URL, issuer and audience', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'production', JIEFEN_INTERNAL_SECRET: 's', JIEFEN_CURSOR_SECRET: 'c' }),
    ).toThrow(ConfigError);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        JIEFEN_JWKS_URL: 'https://idp.example/jwks',
        JIEFEN_JWT_ISSUER: 'i',
        JIEFEN_CURSOR_SECRET: 'c',
        JIEFEN_INTERNAL_SECRET: 's',
      }),
    ).toThrow(/JIEFEN_JWT_AUDIENCE/);
  });

  it('refuses to start on the development secrets', () => {
    const base = {
      NODE_ENV: 'production',
      JIEFEN_JWKS_URL: 'https://idp.example/jwks',
      JIEFEN_JWT_ISSUER: 'i',
      JIEFEN_JWT_AUDIENCE: 'a',
    };
    expect(() => loadConfig({ ...base, JIEFEN_CURSOR_SECRET: 'c' })).toThrow(
      /JIEFEN_INTERNAL_SECRET must be set in production/,
    );
    expect(() => loadConfig({ ...base, JIEFEN_INTERNAL_SECRET: 's' })).toThrow(
      /JIEFEN_CURSOR_SECRET must be set in production/,
    );
    expect(() => loadConfig({ ...base, JIEFEN_INTERNAL_SECRET: 's', JIEFEN_CURSOR_SECRET: 'c' })).toThrow(
      /JIEFEN_PSEUDONYM_KEY must be set in production/,
    );
    const config = loadConfig({
      ...base,
      JIEFEN_INTERNAL_SECRET: 's',
      JIEFEN_CURSOR_SECRET: 'c',
      JIEFEN_PSEUDONYM_KEY: 'p',
    });
    expect(config.jwt.secret).toBeUndefined();
  });

  it('refuses an audit retention shorter than six months, and gateway redaction off in production', () => {
    expect(() => loadConfig({ JIEFEN_AUDIT_RETENTION_DAYS: '90' })).toThrow(
      /JIEFEN_AUDIT_RETENTION_DAYS must be .* at least 183/,
    );
    expect(loadConfig({}).auditRetentionDays).toBeGreaterThanOrEqual(183);
    const base = {
      NODE_ENV: 'production',
      JIEFEN_JWKS_URL: 'https://idp.example/jwks',
      JIEFEN_JWT_ISSUER: 'i',
      JIEFEN_JWT_AUDIENCE: 'a',
      JIEFEN_INTERNAL_SECRET: 's',
      JIEFEN_CURSOR_SECRET: 'c',
      JIEFEN_PSEUDONYM_KEY: 'p',
    };
    expect(() => loadConfig({ ...base, JIEFEN_GATEWAY_REDACTION: 'off' })).toThrow(/refused in production/);
  });

  it('demands of each service only its own secrets', () => {
    const production = { NODE_ENV: 'production' };
    // A subgraph needs no identity provider; the cases subgraph alone holds the pseudonym key.
    const cases = loadConfig(
      { ...production, JIEFEN_INTERNAL_SECRET: 's', JIEFEN_CURSOR_SECRET: 'c', JIEFEN_PSEUDONYM_KEY: 'p' },
      'cases',
    );
    expect([cases.internalSecret, cases.cursorSecret, cases.pseudonymKey]).toEqual(['s', 'c', 'p']);
    expect(() =>
      loadConfig({ ...production, JIEFEN_INTERNAL_SECRET: 's', JIEFEN_CURSOR_SECRET: 'c' }, 'cases'),
    ).toThrow(/JIEFEN_PSEUDONYM_KEY must be set in production/);
    for (const service of ['institutions', 'referrals'] as const) {
      const config = loadConfig({ ...production, JIEFEN_INTERNAL_SECRET: 's', JIEFEN_CURSOR_SECRET: 'c' }, service);
      expect(config.cursorSecret).toBe('c');
      expect(() => config.pseudonymKey).toThrow(
        'JIEFEN_PSEUDONYM_KEY is not set: this service was not expected to need it',
      );
    }
    // The gateway needs the identity provider and the internal secret, and neither the cursor nor the pseudonym key.
    const idp = { JIEFEN_JWKS_URL: 'https://idp.example/jwks', JIEFEN_JWT_ISSUER: 'i', JIEFEN_JWT_AUDIENCE: 'a' };
    expect(() => loadConfig({ ...production, JIEFEN_INTERNAL_SECRET: 's' }, 'gateway')).toThrow(
      /JIEFEN_JWKS_URL, JIEFEN_JWT_ISSUER and JIEFEN_JWT_AUDIENCE/,
    );
    const gateway = loadConfig({ ...production, ...idp, JIEFEN_INTERNAL_SECRET: 's' }, 'gateway');
    expect(gateway.internalSecret).toBe('s');
    expect(() => gateway.cursorSecret).toThrow(ConfigError);
    expect(() => loadConfig({ ...production, ...idp }, 'gateway')).toThrow(
      /JIEFEN_INTERNAL_SECRET must be set in production/,
    );
  });

  it('reads JIEFEN_KEPT_READS, and its former name JIEFEN_STATISTICS_CACHE with a deprecation warning', async () => {
    const warnings: string[] = [];
    const listen = (warning: Error) => {
      warnings.push(`${warning.name}: ${warning.message}`);
    };
    process.on('warning', listen);
    expect(loadConfig({ JIEFEN_KEPT_READS: 'off' }).keptReads).toBe(false);
    expect(loadConfig({}).keptReads).toBe(true);
    expect(loadConfig({ JIEFEN_STATISTICS_CACHE: 'off' }).keptReads).toBe(false);
    expect(loadConfig({ JIEFEN_STATISTICS_CACHE: 'off', JIEFEN_KEPT_READS: 'on' }).keptReads).toBe(true);
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', listen);
    expect(warnings).toEqual([
      'DeprecationWarning: JIEFEN_STATISTICS_CACHE is now JIEFEN_KEPT_READS: the old name still works, rename it',
    ]);
  });

  it('names a bad port', () => {
    expect(() => loadConfig({ GATEWAY_PORT: 'eighty' })).toThrow(
      "GATEWAY_PORT must be a port number (0-65535), got 'eighty'",
    );
  });
});

describe("user tokens verified through the identity provider's JWKS", () => {
  let server: http.Server;
  let jwksUrl: string;
  let keys: { rsa: CryptoKey; ec: CryptoKey; stranger: CryptoKey };
  beforeAll(async () => {
    const rsa = await generateKeyPair('RS256');
    const ec = await generateKeyPair('ES256');
    const stranger = await generateKeyPair('RS256');
    keys = { rsa: rsa.privateKey, ec: ec.privateKey, stranger: stranger.privateKey };
    const jwks = {
      keys: [
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' },
        { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256' },
      ],
    };
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterAll(() => {
    server?.close();
  });

  const sign = (key: CryptoKey, alg: string, kid: string, claims: { iss?: string; aud?: string } = {}) =>
    new SignJWT({ role: 'court', org: 'IN-00003' })
      .setProtectedHeader({ alg, kid })
      .setSubject('judge-li')
      .setIssuer(claims.iss ?? 'https://idp.shanghai.example')
      .setAudience(claims.aud ?? 'jiefen-hub')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key);

  it('accepts RS256 and ES256 tokens from the provider, with issuer and audience checked', async () => {
    const verify = userTokenVerifier({ jwksUrl, issuer: 'https://idp.shanghai.example', audience: 'jiefen-hub' });
    await expect(verify(`Bearer ${await sign(keys.rsa, 'RS256', 'rsa-1')}`)).resolves.toEqual({
      sub: 'judge-li',
      role: 'court',
      org: 'IN-00003',
    });
    await expect(verify(`Bearer ${await sign(keys.ec, 'ES256', 'ec-1')}`)).resolves.toEqual({
      sub: 'judge-li',
      role: 'court',
      org: 'IN-00003',
    });
  });

  it('refuses another issuer, another audience, an unknown key and an HS256 token', async () => {
    const verify = userTokenVerifier({ jwksUrl, issuer: 'https://idp.shanghai.example', audience: 'jiefen-hub' });
    await expect(
      verify(`Bearer ${await sign(keys.rsa, 'RS256', 'rsa-1', { iss: 'https://evil.example' })}`),
    ).rejects.toThrow("token claim 'iss' rejected");
    await expect(verify(`Bearer ${await sign(keys.rsa, 'RS256', 'rsa-1', { aud: 'other-app' })}`)).rejects.toThrow(
      "token claim 'aud' rejected",
    );
    await expect(verify(`Bearer ${await sign(keys.stranger, 'RS256', 'rsa-1')}`)).rejects.toThrow(
      'token signature is not valid',
    );
    const hs = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('guess'));
    await expect(verify(`Bearer ${hs}`)).rejects.toThrow('token algorithm is not allowed');
  });
});
