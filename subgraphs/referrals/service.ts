/**
 * The referrals subgraph (port 4003 by default): courts' and commissions' system of record, on mercurius and
 * Fastify as a court's own stack would be. The schema is a Federation 2 subgraph built by @apollo/subgraph and
 * served by mercurius.
 */
import fs from 'node:fs';
import Fastify, { type FastifyRequest } from 'fastify';
import mercurius from 'mercurius';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse } from 'graphql';
import type { HubConfig } from '../../kit/config.js';
import { CursorCodec } from '../../kit/connection.js';
import { errorBody, ErrorCode, statusFor } from '../../kit/errors.js';
import { errorFormatter } from '../../kit/format-error.js';
import { lazyInputs, scrubError, type RequestText } from '../../kit/echo-scrub.js';
import { REQUEST_ID_HEADER, requestIdOf } from '../../kit/http.js';
import { InternalAuthError, internalTokenVerifier } from '../../kit/internal-token.js';
import { createLogger, type Logger } from '../../kit/log.js';
import type { Principal } from '../../kit/principal.js';
import { resolveDefaultsAsGraphqlJs } from '../../kit/compiled-execution.js';
import { guardNonPublicFields, publicCoordinates } from '../../kit/public-fields.js';
import { guardPiiFields, piiCoordinates } from '../../kit/privacy.js';
import { refuseNulInArguments } from '../../kit/input.js';
import { openStore, type Knex } from '../../kit/store.js';
import { GenerationCache } from '../../kit/generation.js';
import { createLoaders } from './loaders.js';
import { migrations } from './migrations/index.js';
import { resolvers, type ReferralsContext } from './resolvers.js';
import { ReferralStore } from './store.js';
import { ReferralCommands } from './commands.js';
import { partners } from './offices-client.js';
import { startReferralEventRelay } from './events.js';
import { casesClearance, ReferralPrivacy } from './privacy.js';

/** A log for mercurius's default error formatter, which would otherwise log each raw message. */
const SILENT_LOG = { info() {} };

/** The only routes answered without the internal token: liveness and readiness probes. */
const PUBLIC_ROUTES = new Set(['/healthz', '/readyz']);

export const typeDefs = fs.readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

export function openReferralsStore(config: HubConfig): Promise<Knex> {
  return openStore({ name: 'referrals', url: config.databaseUrls.referrals, dataDir: config.dataDir, migrations });
}

export interface RunningReferralsService {
  url: string;
  knex: Knex;
  close(): Promise<void>;
}

export interface ReferralsServiceOptions {
  /** The service's clock (tests fix it). */
  clock?: () => Date;
}

export async function startReferralsService(config: HubConfig, logger: Logger = createLogger('referrals', config.logLevel), options: ReferralsServiceOptions = {}): Promise<RunningReferralsService> {
  const knex = await openReferralsStore(config);
  const store = new ReferralStore(knex);
  const figures = new GenerationCache(() => store.generation(), config.keptReads);
  const commands = new ReferralCommands(knex, partners(config.subgraphUrls), options.clock);
  const relay = await startReferralEventRelay(knex, config, logger);
  const cursors = new CursorCodec(config.cursorSecret);
  const verify = internalTokenVerifier(config.internalSecret);
  const document = parse(typeDefs);
  const clearance = casesClearance(config.subgraphUrls.cases);
  const built = refuseNulInArguments(buildSubgraphSchema({ typeDefs: document, resolvers: resolvers as GraphQLResolverMap<unknown> }));
  // A withheld decline reason is audited by the cases subgraph, which cleared or withheld it: nothing to record here.
  const guarded = guardPiiFields<ReferralsContext>(built, piiCoordinates(document), (ctx, category, parent, field) => ctx.privacy.decide(category, parent, field), () => {});
  const schema = resolveDefaultsAsGraphqlJs(guardNonPublicFields(guarded, publicCoordinates(document)));
  const format = errorFormatter(logger, schema);

  // Fastify's own request lines carry the URL as sent, query string and all (a GET's whole document): one line per
  // request instead, as kit/http.ts writes it, naming the route matched.
  const app = Fastify({ loggerInstance: logger, genReqId: requestIdOf, disableRequestLogging: true });
  app.addHook('onSend', async (request, reply) => { reply.header(REQUEST_ID_HEADER, request.id); });
  app.addHook('onResponse', async (request, reply) => {
    logger.info({ requestId: request.id, method: request.method, path: request.routeOptions.url ?? 'unrouted', status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });
  app.get('/healthz', async () => ({ status: 'alive' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await knex.raw('select 1');
      return { status: 'ready' };
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', reason: (error as Error).message });
    }
  });
  // Every GraphQL request, `_entities` and `_service` included, needs the internal token; so does the referrals'
  // generation, which the gateway checks its kept answers with (gateway/kept-answers.ts).
  app.get('/generation', async () => ({ generation: await store.generation() }));
  // Deny by default, on the route the router matched (it decodes the path and drops the query string), never on
  // the URL as sent: every request but the two probes needs the token, unmatched ones too (they are 401, not 404).
  app.addHook('onRequest', async (request, reply) => {
    if (PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
    try {
      request.principal = await verify(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof InternalAuthError)) throw error;
      return reply.code(statusFor(ErrorCode.UNAUTHENTICATED)).type('application/json').send(errorBody(ErrorCode.UNAUTHENTICATED, error.message));
    }
  });
  await app.register(mercurius, {
    schema,
    path: '/graphql',
    graphiql: false,
    // Each query text compiled by graphql-jit from its second request on (as the Apollo subgraphs do,
    // kit/compiled-execution.ts, whose default resolution the schema takes): graphql-js's per-field bookkeeping was
    // most of a dashboard's cost here.
    jit: 1,
    context: (request: FastifyRequest): ReferralsContext => {
      const caller = { principal: request.principal, requestId: request.id, authorization: request.headers.authorization ?? '' };
      const log = logger.child({ requestId: request.id });
      return {
        principal: request.principal, requestId: request.id, logger: log, store, cursors, loaders: createLoaders(store, figures), commands, caller,
        privacy: new ReferralPrivacy(request.principal, caller, clearance, log),
      };
    },
    errorFormatter: (execution, context) => {
      // mercurius's own formatter logs every message as it stands, before any scrub: it runs with a silent log, for
      // its flattening of validation errors and its status code only.
      const { statusCode, response } = mercurius.defaultErrorFormatter(execution, { reply: { log: SILENT_LOG } } as never);
      const originals = execution.errors.flatMap((error) => {
        const inner = (error.originalError as { errors?: unknown } | undefined)?.errors;
        return Array.isArray(inner) ? inner : [error];
      });
      const request = (context as { reply?: { request?: FastifyRequest } }).reply?.request;
      const inputs = lazyInputs(((request?.method === 'GET' ? request.query : request?.body) ?? {}) as RequestText, schema);
      const errors = (response.errors ?? []).map((formatted, i) => scrubError(format(formatted, originals[i], inputs), inputs));
      return { statusCode, response: { data: response.data ?? null, errors } };
    },
  });
  await app.listen({ port: config.ports.referrals, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.ports.referrals;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  return { url: `http://${shownHost}:${port}/graphql`, knex, close: async () => { await relay.stop(); await app.close(); await knex.destroy(); } };
}

