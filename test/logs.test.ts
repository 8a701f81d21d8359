/**
 * Every service logs in one JSON shape: each line names its `service` and, within a request, its `requestId`; each
 * request ends with one `request` line naming its operation, outcome and duration. A user's error is logged at info
 * by its code, without a stack trace; an unexpected one at error, with its stack and without the request's values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MUTATIONS } from './support/cases.js';
import { startHub, type Hub } from './support/hub.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 20 });
});
afterAll(async () => {
  await hub?.close();
});

/** A request through the gateway as the admin, with a request id of the test's choosing. */
async function send(
  requestId: string,
  query: string,
  variables: Record<string, unknown> = {},
  as = { role: 'admin', org: undefined as string | undefined },
) {
  const response = await fetch(hub.urls.gateway, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${await hub.token(as.role, as.org)}`,
      'x-request-id': requestId,
    },
    body: JSON.stringify({ query, variables }),
  });
  return response.json() as Promise<{ data?: any; errors?: unknown[] }>;
}

const linesOf = (requestId: string) => hub.logs.filter((line) => line.requestId === requestId);
const requestLines = (requestId: string) => linesOf(requestId).filter((line) => line.msg === 'request');

describe('log lines', () => {
  it('close a request with the same line in every service, naming the client operation', async () => {
    const referral = await hub.knex.referrals('referrals').first('id');
    const answer = await send(
      'shape-1',
      'query ReferralWithOffices($id: ID!) { referral(id: $id) { id case { id institution { id name } } } }',
      { id: referral.id },
    );
    expect(answer.errors).toBeUndefined();
    const lines = requestLines('shape-1');
    expect(lines.map((line) => line.service).sort()).toEqual(['cases', 'gateway', 'institutions', 'referrals']);
    for (const line of lines) {
      expect(
        Object.keys(line)
          .filter((key) => key !== 'served')
          .sort(),
      ).toEqual([
        'durationMs',
        'level',
        'method',
        'msg',
        'name',
        'operationName',
        'outcome',
        'path',
        'requestId',
        'service',
        'status',
        'time',
      ]);
      expect(line).toMatchObject({
        level: 30,
        method: 'POST',
        path: '/graphql',
        status: 200,
        operationName: 'ReferralWithOffices',
        outcome: 'ok',
      });
      expect(typeof line.durationMs).toBe('number');
    }
    expect(hub.logs.some((line) => 'reqId' in line)).toBe(false);
  });

  it("log a user's error at info by its code, without a stack trace", async () => {
    const answer = await send(
      'user-error-1',
      MUTATIONS.accept,
      { id: '310000-2026-9999999', v: 1 },
      { role: 'institution', org: 'IN-00001' },
    );
    expect(answer.errors).toHaveLength(1);
    const lines = linesOf('user-error-1');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line.level).toBe(30);
    expect(JSON.stringify(lines)).not.toContain('stack');
    expect(requestLines('user-error-1').find((line) => line.service === 'gateway')).toMatchObject({
      outcome: 'error',
      codes: ['NOT_FOUND'],
    });
  });

  it("log an unexpected error at error, with its stack and without the request's values", async () => {
    await hub.knex.referrals.raw('alter table referrals rename to referrals_away');
    try {
      const answer = await send('unexpected-1', 'query($id: ID!) { referral(id: $id) { id } }', { id: 'RF-VALUEMARK' });
      expect(answer.errors).toEqual([expect.objectContaining({ message: 'internal error' })]);
    } finally {
      await hub.knex.referrals.raw('alter table referrals_away rename to referrals');
    }
    const lines = linesOf('unexpected-1');
    const error = lines.find((line) => line.service === 'referrals' && line.level === 50);
    expect(error).toMatchObject({ msg: 'unexpected error', err: { stack: expect.stringMatching(/^\s+at /) } });
    expect(JSON.stringify(lines)).not.toContain('VALUEMARK');
    // The gateway, handed the subgraph's internal error, says so without logging it a second time.
    expect(lines.find((line) => line.service === 'gateway' && line.level === 40)).toMatchObject({
      msg: 'a subgraph answered an internal error',
      subgraph: 'referrals',
      path: ['referral'],
    });
    expect(lines.filter((line) => line.level === 50).map((line) => line.service)).toEqual(['referrals']);
    expect(requestLines('unexpected-1').find((line) => line.service === 'referrals')).toMatchObject({
      outcome: 'failed',
      codes: ['INTERNAL_SERVER_ERROR'],
    });
  });
});
