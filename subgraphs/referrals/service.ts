/**
 * The referrals subgraph (port 4003 by default): courts' and commissions' system of record, on mercurius and
 * Fastify as a court's own stack would be. The schema is a Federation 2 subgraph built by @apollo/subgraph and
 * served by mercurius.
 */
import fs from 'node:fs';
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import mercurius from 'mercurius';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse } from 'graphql';
import type { HubConfig } from '../../kit/config.js';
import { CursorCodec } from '../../kit/connection.js';
import { errorBody, ErrorCode, statusFor } from '../../kit/errors.js';
import { errorFormatter, loggableError } from '../../kit/format-error.js';
import { lazyInputs, scrubError, type RequestText } from '../../kit/echo-scrub.js';
import { REQUEST_ID_HEADER, requestIdOf } from '../../kit/http.js';
import { InternalAuthError, internalTokenVerifier } from '../../kit/internal-token.js';
import { createLogger, logRequest, type Logger } from '../../kit/log.js';
import { ServiceMetrics } from '../../kit/metrics.js';
import { OPERATION_NAME_HEADER } from '../../kit/privacy.js';
import { operationNameOf, outcomeOf, summarise, type AnswerSummary, type Outcome } from '../../kit/request-report.js';
import { traced, tracingOn } from '../../kit/tracing.js';
import type { Principal } from '../../kit/principal.js';
import { resolveDefaultsAsGraphqlJs } from '../../kit/compiled-execution.js';
import { guardNonPublicFields, publicCoordinates } from '../../kit/public-fields.js';
import { guardPiiFields, piiCoordinates } from '../../kit/privacy.js';
import { refuseNulInArguments } from '../../kit/input.js';
import { openStore, type Knex } from '../../kit/store.js';
import { KeptReads } from '../../kit/generation.js';
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

/** The only routes answered without the internal token: liveness and readiness probes, and metrics (their own token). */
const PUBLIC_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Fastify's own log lines as the other services write theirs: the request id as `requestId`; no incoming, completed
 * or not-found lines (they carry the URL as sent, and the `request` line closes every request); an error Fastify
 * answers itself logged at error with its stack when it is the service's fault (5xx), else at info by its code
 * alone (a parser's message can quote the body).
 */
class HubLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}
  override requestCompleted(): void {}
  override routeNotFound(): void {}

  override defaultErrorLog(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ err: loggableError(error) }, 'request failed');
    else reply.log.info({ status: reply.statusCode, code: (error as { code?: unknown }).code }, 'request refused');
  }
}

export const typeDefs = fs.readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    /** What the request's answer came to (kit/request-report.ts), for its log line and count. */
    summary?: AnswerSummary;
    /** Closes the request's server span (kit/tracing.ts), when tracing is on. */
    endSpan?(status: number, outcome: Outcome, operationName: string | null): void;
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

export async function startReferralsService(
  config: HubConfig,
  logger: Logger = createLogger('referrals', config.logLevel),
  options: ReferralsServiceOptions = {},
): Promise<RunningReferralsService> {
  const knex = await openReferralsStore(config);
  const store = new ReferralStore(knex);
  const figures = new KeptReads(() => store.generation(), config.keptReads);
  const commands = new ReferralCommands(knex, partners(config.subgraphUrls), options.clock);
  const relay = await startReferralEventRelay(knex, config, logger);
  const metrics = new ServiceMetrics('referrals', config.metrics);
  metrics.observeStore(knex);
  metrics.observeOutbox(relay);
  const cursors = new CursorCodec(config.cursorSecret);
  const verify = internalTokenVerifier(config.internalSecret);
  const document = parse(typeDefs);
  const clearance = casesClearance(config.subgraphUrls.cases);
  const built = refuseNulInArguments(
    buildSubgraphSchema({ typeDefs: document, resolvers: resolvers as GraphQLResolverMap<unknown> }),
  );
  // A withheld decline reason is audited by the cases subgraph, which cleared or withheld it: nothing to record here.
  const guarded = guardPiiFields<ReferralsContext>(
    built,
    piiCoordinates(document),
    (ctx, category, parent, field) => ctx.privacy.decide(category, parent, field),
    () => {},
  );
  const schema = resolveDefaultsAsGraphqlJs(guardNonPublicFields(guarded, publicCoordinates(document)));
  const format = errorFormatter(logger, schema);

  // Fastify's own request lines carry the URL as sent, query string and all (a GET's whole document): one line per
  // request instead, as kit/http.ts writes it, naming the route matched.
  const app = Fastify({ loggerInstance: logger, genReqId: requestIdOf, logController: new HubLogController() });
  // Traced when a collector is named (kit/tracing.ts): the rest of the request's lifecycle runs under its server span.
  if (tracingOn()) {
    app.addHook('onRequest', (request, _reply, done) => {
      const route = request.routeOptions.url;
      if (route && PUBLIC_ROUTES.has(route)) return done();
      traced('referrals', request.method, route ?? 'unrouted', request.headers, (end) => {
        request.endSpan = end;
        done();
      });
    });
  }
  app.addHook('onSend', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const path = request.routeOptions.url ?? 'unrouted';
    const { summary } = request;
    // The gateway names the client operation each call serves.
    const operationName = operationNameOf(request.headers[OPERATION_NAME_HEADER]) ?? summary?.operationName ?? null;
    const outcome = outcomeOf(reply.statusCode, summary);
    if (path === '/graphql') metrics.request(operationName, outcome, summary?.codes[0], reply.elapsedTime / 1000);
    logRequest(logger, {
      requestId: request.id,
      method: request.method,
      path,
      status: reply.statusCode,
      operationName,
      outcome,
      codes: summary?.codes,
      durationMs: reply.elapsedTime,
    });
    request.endSpan?.(reply.statusCode, outcome, operationName);
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
  app.get('/metrics', async (request, reply) => {
    const scrape = await metrics.scrape(request.headers.authorization);
    return reply.code(scrape.status).headers(scrape.headers).send(scrape.body);
  });
  // Deny by default, on the route the router matched (it decodes the path and drops the query string), never on
  // the URL as sent: every request but the two probes needs the token, unmatched ones too (they are 401, not 404).
  app.addHook('onRequest', async (request, reply) => {
    if (PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
    try {
      request.principal = await verify(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof InternalAuthError)) throw error;
      request.summary = summarise({ errors: [{ extensions: { code: ErrorCode.UNAUTHENTICATED } }] });
      return reply
        .code(statusFor(ErrorCode.UNAUTHENTICATED))
        .type('application/json')
        .send(errorBody(ErrorCode.UNAUTHENTICATED, error.message));
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
      const caller = {
        principal: request.principal,
        requestId: request.id,
        authorization: request.headers.authorization ?? '',
      };
      const log = logger.child({ requestId: request.id });
      return {
        principal: request.principal,
        requestId: request.id,
        logger: log,
        store,
        cursors,
        loaders: createLoaders(store, figures),
        commands,
        caller,
        privacy: new ReferralPrivacy(request.principal, caller, clearance, log),
      };
    },
    errorFormatter: (execution, context) => {
      // mercurius's own formatter logs every message as it stands, before any scrub: it runs with a silent log, for
      // its flattening of validation errors and its status code only.
      const { statusCode, response } = mercurius.defaultErrorFormatter(execution, {
        reply: { log: SILENT_LOG },
      } as never);
      const originals = execution.errors.flatMap((error) => {
        const inner = (error.originalError as { errors?: unknown } | undefined)?.errors;
        return Array.isArray(inner) ? inner : [error];
      });
      const request = (context as { reply?: { request?: FastifyRequest } }).reply?.request;
      const inputs = lazyInputs(
        ((request?.method === 'GET' ? request.query : request?.body) ?? {}) as RequestText,
        schema,
      );
      const errors = (response.errors ?? []).map((formatted, i) =>
        scrubError(format(formatted, originals[i], inputs, request?.log as Logger | undefined), inputs),
      );
      if (request) request.summary = summarise({ data: response.data, errors });
      return { statusCode, response: { data: response.data ?? null, errors } };
    },
  });
  await app.listen({ port: config.ports.referrals, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.ports.referrals;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    knex,
    close: async () => {
      await relay.stop();
      await app.close();
      await knex.destroy();
    },
  };
}
