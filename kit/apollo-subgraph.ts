/**
 * Runs an Apollo Federation 2 subgraph over kit/http: its SDL and resolvers, a per-request context,
 * the internal-token check that every request (`_entities` and `_service` included) must pass, and the
 * public-directory guard on every field not marked `@public`.
 */
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse, type GraphQLSchema } from 'graphql';
import { AuthError, createApolloHttpServer, listen, type RequestInfo, type RunningServer } from './http.js';
import { InternalAuthError, internalTokenVerifier } from './internal-token.js';
import { errorFormatter } from './format-error.js';
import { echoScrubPlugin } from './echo-scrub.js';
import type { Logger } from './log.js';
import { guardNonPublicFields, publicCoordinates } from './public-fields.js';

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
  plugins?: ApolloServerPlugin<TContext>[];
}

export async function startApolloSubgraph<TContext extends BaseContext>(options: SubgraphOptions<TContext>): Promise<RunningServer> {
  const typeDefs = parse(options.typeDefs);
  const built = buildSubgraphSchema({ typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> });
  const apollo = new ApolloServer<TContext>({
    schema: guardNonPublicFields(options.transformSchema?.(built) ?? built, publicCoordinates(typeDefs)),
    // Inline traces (ftv1) would cost time on every request and carry timing per field to whoever asks.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), echoScrubPlugin<TContext>(), ...(options.plugins ?? [])],
    // "Did you mean …?" would let a caller fish for field names it may not know.
    hideSchemaDetailsFromClientErrors: true,
    formatError: errorFormatter(options.logger),
    includeStacktraceInErrorResponses: false,
    // kit/service.ts handles SIGINT/SIGTERM: Apollo's own handler would re-send the signal and race it.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const verify = internalTokenVerifier(options.internalSecret);
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
  });
  const running = await listen(server, options.port, options.host);
  return { ...running, close: async () => { await running.close(); await apollo.stop(); } };
}
