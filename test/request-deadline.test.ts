/**
 * One deadline for a whole answer: a subgraph call started late in a request (after queueing, or after another
 * subgraph's answer) gets only what is left of the request's time, so an answer waits no longer than the slowest
 * subgraph's timeout. A call cut short that way counts against the subgraph's circuit only when it had at least
 * half the subgraph's own timeout; a call whose request has no time left is not sent at all.
 * On a real HTTP server that accepts calls and never answers them (a frozen office).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../kit/log.js';
import { SubgraphGuard, SubgraphUnavailable } from '../gateway/subgraph-health.js';

let server: http.Server;
let origin: string;
let received = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    received++;
    if (req.url === '/ok') res.end('ok');
    // Any other path is held unanswered, as a frozen process would hold it.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const logger = createLogger('test', 'silent');
const call = (path: string) => async (signal: AbortSignal) =>
  await (await request(`${origin}${path}`, { signal })).body.text();
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('the call answered');
    },
    (error: unknown) => error as SubgraphUnavailable,
  );

describe("a subgraph call under its request's deadline", () => {
  it("is cut off when the request's time runs out, before the subgraph's own timeout", async () => {
    const guard = new SubgraphGuard('frozen', 60_000, logger);
    const error = await failure(guard.call(call('/hang'), false, Date.now() + 300));
    expect(error).toBeInstanceOf(SubgraphUnavailable);
    expect(error.message).toMatch(/^no answer within the \d+ ms left of the request's deadline$/);
    expect(error.subgraphsFault).toBe(false);
  });

  it('is not sent when the request has no time left', async () => {
    const guard = new SubgraphGuard('frozen', 60_000, logger);
    const before = received;
    const error = await failure(guard.call(call('/hang'), false, Date.now() - 1));
    expect(error.message).toBe("the request's deadline passed before the call");
    expect(received).toBe(before);
  });

  it("does not open the circuit when cut short with less than half the subgraph's timeout", async () => {
    const guard = new SubgraphGuard('healthy-but-late', 60_000, logger);
    for (let i = 0; i < 6; i++) await failure(guard.call(call('/hang'), false, Date.now() + 100));
    expect(await guard.call(call('/ok'), false)).toBe('ok');
  });

  it("opens the circuit when cut short with at least half the subgraph's timeout", async () => {
    const guard = new SubgraphGuard('frozen', 400, logger);
    for (let i = 0; i < 5; i++)
      expect((await failure(guard.call(call('/hang'), false, Date.now() + 300))).subgraphsFault).toBe(true);
    expect((await failure(guard.call(call('/ok'), false))).message).toBe(
      'its circuit is open after 5 calls without an answer',
    );
  });
});
