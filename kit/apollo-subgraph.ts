/**
 * Runs an Apollo Federation 2 subgraph over kit/http: its SDL and resolvers, a per-request context,
 * the internal-token check that every request (`_entities` and `_service` included) must pass, and the
 * public-directory guard on every field not marked `@public`. Plain requests take a lean path (graphql-js on a
 * document validated once); anything else takes Apollo Server's pipeline. A service's `finish` step runs on both.
 */
import { createHash } from 'node:crypto';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse, type GraphQLSchema } from 'graphql';
import { CompiledExecutor } from './compiled-execution.js';
import { DocumentCache } from './document-cache.js';
import { graphqlResponse, type ExecutionResultLike } from './graphql-response.js';
import { AuthError, createApolloHttpServer, listen, type RequestInfo, type RunningServer } from './http.js';
import { InternalAuthError, internalTokenVerifier } from './internal-token.js';
import { errorFormatter, requestLoggerPlugin } from './format-error.js';
import { echoScrubPlugin, lazyInputs, scrubError } from './echo-scrub.js';
import type { Logger } from './log.js';
import { guardNonPublicFields, publicCoordinates } from './public-fields.js';
import { refuseNulInArguments } from './input.js';
import type { ServiceMetrics } from './metrics.js';
import { OPERATION_NAME_HEADER } from './privacy.js';
import { reportPlugin } from './request-report.js';

/** What a `finish` step knows of the request it closes. */
export interface FinishedRequest {
  operationName: string | null;
  /** SHA-256 of the query text. */
  queryHash: string;
  header(name: string): string | undefined;
}

export interface SubgraphOptions<TContext extends BaseContext> {
  typeDefs: string;
  resolvers: GraphQLResolverMap<TContext>;
  logger: Logger;
  internalSecret: string;
  host: string;
  port: number;
  context(info: RequestInfo): TContext;
  ready(): Promise<void>;
  /** Wraps resolvers of the built schema (the cases subgraph guards its `@pii` fields here). */
  transformSchema?(schema: GraphQLSchema): GraphQLSchema;
  /**
   * Runs on every executed response before it is sent, on both request paths; it may change the result (the cases
   * subgraph writes its audit records here, and withholds the data when they cannot be written).
   */
  finish?(context: TContext, result: ExecutionResultLike, request: FinishedRequest): Promise<void>;
  /** The generation the subgraph keeps reads under (kit/generation.ts), served at `GET /generation`. */
  generation?(): Promise<number>;
  /** The service's metrics (kit/metrics.ts), served at `/metrics`. */
  metrics: ServiceMetrics;
}

function finishPlugin<TContext extends BaseContext>(
  finish: NonNullable<SubgraphOptions<TContext>['finish']>,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response, request, operationName, queryHash }) {
          if (response.body.kind !== 'single') return;
          const headers = request.http?.headers;
          await finish(contextValue, response.body.singleResult as ExecutionResultLike, {
            operationName: operationName ?? null,
            queryHash:
              queryHash ??
              createHash('sha256')
                .update(request.query ?? '')
                .digest('hex'),
            header: (name) => headers?.get(name),
          });
        },
      };
    },
  };
}

export async function startApolloSubgraph<TContext extends BaseContext>(
  options: SubgraphOptions<TContext>,
): Promise<RunningServer> {
  const typeDefs = parse(options.typeDefs);
  const built = buildSubgraphSchema({ typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> });
  const schema = guardNonPublicFields(
    refuseNulInArguments(options.transformSchema?.(built) ?? built),
    publicCoordinates(typeDefs),
  );
  const formatError = errorFormatter(options.logger, schema);
  const apollo = new ApolloServer<TContext>({
    schema,
    // Apollo Server's own lines in the service's JSON log, not its console text.
    logger: options.logger,
    // Inline traces (ftv1) would cost time on every request and carry timing per field to whoever asks.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      echoScrubPlugin<TContext>(),
      reportPlugin<TContext>(),
      requestLoggerPlugin<TContext>(),
      ...(options.finish ? [finishPlugin(options.finish)] : []),
    ],
    // "Did you mean …?" would let a caller fish for field names it may not know.
    hideSchemaDetailsFromClientErrors: true,
    formatError,
    includeStacktraceInErrorResponses: false,
    // kit/service.ts handles SIGINT/SIGTERM: Apollo's own handler would re-send the signal and race it.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const verify = internalTokenVerifier(options.internalSecret);
  const documents = new DocumentCache(schema);
  const executor = new CompiledExecutor(schema);
  const server = createApolloHttpServer<TContext>({
    apollo,
    logger: options.logger,
    async authenticate(req) {
      try {
        return await verify(req.headers.authorization);
      } catch (error) {
        if (error instanceof InternalAuthError) throw new AuthError(error.message);
        throw error;
      }
    },
    context: options.context,
    ready: options.ready,
    generation: options.generation,
    metrics: options.metrics,
    // The gateway names the client operation each call serves: a subgraph's lines and counts name it too.
    operationHeader: OPERATION_NAME_HEADER,
    // The plain case (a JSON POST of a query text) runs the operation compiled once (kit/compiled-execution.ts) on a
    // document validated once; anything else takes Apollo Server's pipeline.
    async pipeline(request) {
      const { params, leanContentType } = request;
      if (!params || !leanContentType || typeof params.query !== 'string' || params.extensions !== undefined)
        return null;
      const cached = documents.get(params.query);
      const operation = cached && DocumentCache.operation(cached, params.operationName);
      if (!cached || !operation || operation.operation === 'subscription') return null;
      const context = await request.context();
      const result: ExecutionResultLike = await executor.execute({
        document: cached.document,
        operationName: operation.name?.value,
        variableValues: params.variables,
        contextValue: context,
      });
      // Variables that do not coerce: nothing ran, and Apollo Server gives the canonical error.
      if (result.data === undefined) return null;
      if (options.finish) {
        const headers = request.info.headers;
        await options.finish(context, result, {
          operationName: operation.name?.value ?? null,
          queryHash: cached.hash,
          header: (name) => {
            const value = headers[name];
            return Array.isArray(value) ? value[0] : value;
          },
        });
      }
      // The lean path scrubs as echoScrubPlugin does on Apollo Server's.
      const inputs = lazyInputs(params, schema);
      return graphqlResponse(
        result,
        (formatted, error) => scrubError(formatError(formatted, error, inputs, request.info.logger), inputs),
        leanContentType,
        operation.name?.value ?? null,
      );
    },
  });
  const running = await listen(server, options.port, options.host);
  return {
    ...running,
    close: async () => {
      await running.close();
      await apollo.stop();
    },
  };
}
