/**
 * A stopping service finishes the requests it has taken (a rolling restart must not cut a partner's mutation
 * short) and takes no new ones.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { listen } from '../kit/http.js';

describe('closing a service', () => {
  it('lets a request in flight finish, then refuses new connections', async () => {
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const server = http.createServer((_req, res) => {
      started();
      setTimeout(() => res.end('done'), 150);
    });
    const running = await listen(server, 0, '127.0.0.1');
    const answer = fetch(running.url).then(async (r) => ({ status: r.status, body: await r.text() }));
    await inFlight;
    const closed = running.close();
    expect(await answer).toEqual({ status: 200, body: 'done' });
    await closed;
    await expect(fetch(running.url)).rejects.toThrow();
  });
});
