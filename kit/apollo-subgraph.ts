/**
 * Runs an Apollo Federation 2 subgraph over kit/http: its SDL and resolvers, a per-request context,
 * the internal-token check that every request (`_entities` and `_service` included) must pass, and the
 * public-directory guard on every field not marked `@public`.
 */
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { execute, parse } from 'graphql';
import { DocumentCache } from './document-cache.js';
import { graphqlResponse } from './graphql-response.js';
import { AuthError, createApolloHttpServer, listen, type RequestInfo, type RunningServer } from './http.js';
import { InternalAuthError, internalTokenVerifier } from './internal-token.js';
import { errorFormatter } from './format-error.js';
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
}

export async function startApolloSubgraph<TContext extends BaseContext>(options: SubgraphOptions<TContext>): Promise<RunningServer> {
  const typeDefs = parse(options.typeDefs);
  const schema = guardNonPublicFields(buildSubgraphSchema({ typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }), publicCoordinates(typeDefs));
  const formatError = errorFormatter(options.logger);
  const apollo = new ApolloServer<TContext>({
    schema,
    // Inline traces (ftv1) would cost time on every request and carry timing per field to whoever asks.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
    formatError,
    includeStacktraceInErrorResponses: false,
    // kit/service.ts handles SIGINT/SIGTERM: Apollo's own handler would re-send the signal and race it.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const verify = internalTokenVerifier(options.internalSecret);
  const documents = new DocumentCache(schema);
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
    // The plain case runs graphql-js directly on a document validated once; anything else takes Apollo Server's pipeline.
    async fastPath(request) {
      const cached = documents.get(request.query);
      const operation = cached && DocumentCache.operation(cached, request.operationName);
      if (!cached || !operation || operation.operation === 'subscription') return null;
      const result = await execute({ schema, document: cached.document, operationName: operation.name?.value, variableValues: request.variables, contextValue: await request.context() });
      // Variables that do not coerce: nothing ran, and Apollo Server gives the canonical error.
      if (result.data === undefined) return null;
      return graphqlResponse(result, formatError, request.contentType);
    },
  });
  const running = await listen(server, options.port, options.host);
  return { ...running, close: async () => { await running.close(); await apollo.stop(); } };
}
