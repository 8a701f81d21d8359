import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../kit/config.js';
import { signBody } from '../kit/outbox.js';
import { createHmac } from 'node:crypto';

const load = (JIEFEN_WEBHOOKS: string, extra: Record<string, string> = {}) => loadConfig({ JIEFEN_WEBHOOKS, ...extra });

describe('webhook subscribers from JIEFEN_WEBHOOKS', () => {
  it('reads subscribers with their secrets and type prefixes, and the relay timing', () => {
    const config = load(
      JSON.stringify([
        {
          name: 'court-xuhui',
          url: 'https://court.example/hooks',
          secret: 'a-secret-of-16-chars',
          types: ['referral.'],
        },
        { name: 'stats', url: 'http://10.0.0.5:8080/in', secret: 'another-long-secret' },
      ]),
      { JIEFEN_OUTBOX_POLL_MS: '250', JIEFEN_WEBHOOK_RETRY_MAX_MS: '60000' },
    );
    expect(config.webhooks).toEqual([
      { name: 'court-xuhui', url: 'https://court.example/hooks', secret: 'a-secret-of-16-chars', types: ['referral.'] },
      { name: 'stats', url: 'http://10.0.0.5:8080/in', secret: 'another-long-secret' },
    ]);
    expect(config.outbox).toEqual({ pollMs: 250, retryBaseMs: 2000, retryMaxMs: 60000 });
    expect(loadConfig({}).webhooks).toEqual([]);
  });

  it('refuses a malformed list, naming the entry and the field', () => {
    const cases: [string, RegExp][] = [
      ['not json', /JSON array/],
      ['{"name":"x"}', /JSON array/],
      ['[{"name":"a b","url":"https://x","secret":"0123456789abcdef"}]', /\[0\]\.name/],
      ['[{"name":"a","url":"ftp://x","secret":"0123456789abcdef"}]', /\[0\]\.url/],
      ['[{"name":"a","url":"https://x","secret":"short"}]', /\[0\]\.secret/],
      [
        '[{"name":"a","url":"https://x","secret":"0123456789abcdef"},{"name":"a","url":"https://y","secret":"0123456789abcdef"}]',
        /\[1\]\.name .* twice/,
      ],
      ['[{"name":"a","url":"https://x","secret":"0123456789abcdef","types":"referral."}]', /\[0\]\.types/],
    ];
    for (const [raw, message] of cases) expect(() => load(raw)).toThrow(message);
    expect(() => load('[]', { JIEFEN_OUTBOX_POLL_MS: '0' })).toThrow(ConfigError);
  });

  it('signs a body with HMAC-SHA-256 over its exact bytes', () => {
    const body = '{"id":"referral-event:1","type":"referral.request"}';
    expect(signBody(body, 'k'.repeat(16))).toBe(
      `sha256=${createHmac('sha256', 'k'.repeat(16)).update(body).digest('hex')}`,
    );
    expect(signBody(`${body} `, 'k'.repeat(16))).not.toBe(signBody(body, 'k'.repeat(16)));
  });
});
