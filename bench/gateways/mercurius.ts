/**
 * Peer: the mercurius gateway (@mercuriusjs/gateway, Federation 1) on Fastify, passing Authorization on through
 * its `rewriteHeaders` hook. It reads each subgraph's SDL from `_service`; with BENCH_MERCURIUS_FED1=1 it is
 * given a Federation 1 rendering of the same (checked-in) SDL instead (see bench/gateways/federation1.ts), which the same
 * subgraphs serve unchanged.
 */
import Fastify from 'fastify';
import mercuriusGateway, { type MercuriusGatewayService } from '@mercuriusjs/gateway';
import { signInternalToken } from '../../kit/internal-token.js';
import { config, stopOn, subgraphs } from './shared.js';
import { federation1Sdl } from './federation1.js';

const useFed1 = process.env.BENCH_MERCURIUS_FED1 === '1';
const app = Fastify({ logger: false });
// The SDL query at start-up needs a token too: a short-lived one for an admin.
const initToken = `Bearer ${await signInternalToken({ sub: 'bench-mercurius', role: 'admin' }, config.internalSecret)}`;
// The plugin's typings describe a callback plugin; it is registered as its documentation shows.
await app.register(mercuriusGateway as unknown as Parameters<typeof app.register>[0], {
  path: '/graphql',
  gateway: {
    services: subgraphs.map(({ name, url }): MercuriusGatewayService => ({
      name,
      url,
      mandatory: true,
      initHeaders: { authorization: initToken },
      rewriteHeaders: (headers) => ({ authorization: headers.authorization }),
      ...(useFed1 ? { schema: federation1Sdl(name) } : {}),
    })),
  },
});
await app.listen({ port: config.ports.gateway, host: config.host });
console.log(`mercurius gateway on ${config.host}:${config.ports.gateway}${useFed1 ? ' (Federation 1 SDL)' : ''}`);
stopOn(() => app.close());
