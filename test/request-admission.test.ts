/**
 * A service given `maxConcurrentRequests` (the gateway: four per core) works on at most that many GraphQL requests at
 * once; the others wait their turn in arrival order and are all answered. Health probes and scrapes do not wait,
 * and a scrape shows the queue.
 */
import { describe, expect, it } from 'vitest';
import { ApolloServer } from '@apollo/server';
import { createApolloHttpServer, listen } from '../kit/http.js';
import { createLogger } from '../kit/log.js';
import { ServiceMetrics } from '../kit/metrics.js';

describe('admission', () => {
  it('runs at most the limit at once, then the rest in arrival order', async () => {
    const apollo = new ApolloServer({
      typeDefs: 'type Query { ok: Boolean }',
      resolvers: { Query: { ok: () => true } },
    });
    await apollo.start();
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const release: (() => void)[] = [];
    const server = createApolloHttpServer({
      apollo,
      logger: createLogger('test', 'warn'),
      maxConcurrentRequests: 2,
      authenticate: async () => ({ sub: 'test', role: 'admin' }),
      context: () => ({}),
      ready: async () => {},
      metrics: new ServiceMetrics('test', { operations: [], production: false }),
      async pipeline(request) {
        running++;
        most = Math.max(most, running);
        order.push(Number((request.params!.variables as { n: number }).n));
        await new Promise<void>((go) => release.push(go));
        running--;
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ data: { n: (request.params!.variables as { n: number }).n } }),
        };
      },
    });
    const service = await listen(server, 0, '127.0.0.1');
    try {
      const ask = (n: number) =>
        fetch(service.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ ok }', variables: { n } }),
        }).then((r) => r.json());
      const answers: Promise<unknown>[] = [];
      for (const n of [1, 2, 3, 4, 5]) {
        answers.push(ask(n));
        // Sent one after another, so they arrive in this order.
        await new Promise((settle) => setTimeout(settle, 20));
      }
      expect(running).toBe(2);
      expect((await fetch(service.url.replace(/\/graphql$/, '/healthz'))).status).toBe(200);
      const scrape = await (await fetch(service.url.replace(/\/graphql$/, '/metrics'))).text();
      expect(scrape).toContain('jiefen_admission_in_progress{service="test"} 2\n');
      expect(scrape).toContain('jiefen_admission_queue_length{service="test"} 3\n');
      while (release.length || running) {
        release.shift()?.();
        await new Promise((settle) => setTimeout(settle, 10));
      }
      expect(await Promise.all(answers)).toEqual([1, 2, 3, 4, 5].map((n) => ({ data: { n } })));
      expect(most).toBe(2);
      expect(order).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await service.close();
      await apollo.stop();
    }
  });
});
