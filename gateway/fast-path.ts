/**
 * The gateway's lean request path for authenticated callers: the document parsed and validated once per query
 * text (kit/document-cache.ts), then straight to Apollo Gateway's executor — its query planner and plan cache
 * (keyed by the query's hash and operation name, never by caller) — then the response hooks, the error formatter
 * and one serialisation. Results are kept only for statistics and registry queries, per principal, while the
 * subgraphs' generations stand still (gateway/kept-answers.ts).
 *
 * Everything else returns null and goes through Apollo Server's full pipeline unchanged: anonymous callers (the
 * public-directory plugin), documents that do not parse or validate, introspection, an operation name that
 * picks no operation, subscriptions, and variables the executor refuses (nothing has run then).
 */
import type { ApolloGateway } from '@apollo/gateway';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import { GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { DocumentCache } from '../kit/document-cache.js';
import { graphqlResponse, type ErrorFormatter, type FastResponse } from '../kit/graphql-response.js';
import type { FastRequest } from '../kit/http.js';
import type { Logger } from '../kit/log.js';
import { PUBLIC_ROLE, type Principal } from '../kit/principal.js';
import { runResponseHooks, type ResponseHook } from './response-hooks.js';
import { KeptAnswers } from './kept-answers.js';

export interface FastPathOptions<TContext> {
  gateway: ApolloGateway;
  formatError: ErrorFormatter;
  hooks: readonly ResponseHook<TContext>[];
  /** Runs before anything is executed and may refuse the request (the gateway's redaction admits it here). */
  admit?(context: TContext, facts: AdmitFacts): Promise<void>;
  /** The gateway's own validation rules, as Apollo Server's pipeline runs them. */
  rules?: readonly ValidationRule[];
  /** Whole answers kept while the subgraphs' generations stand still (gateway/kept-answers.ts). */
  kept?: KeptAnswers;
}

export interface AdmitFacts {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName: string | null;
  variables: Record<string, unknown>;
  queryHash: string;
}

export function gatewayFastPath<TContext extends { principal: Principal; logger: Logger; validUntil?: number }>(options: FastPathOptions<TContext>) {
  let schema: GraphQLSchema | undefined;
  let documents: DocumentCache | undefined;
  options.gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
    schema = apiSchema;
    documents = new DocumentCache(apiSchema, options.rules);
  });

  return async function fastPath(request: FastRequest<TContext>): Promise<FastResponse | null> {
    if (request.info.principal.role === PUBLIC_ROLE || !documents || !schema) return null;
    const cached = documents.get(request.query);
    if (!cached) return null;
    const operation = DocumentCache.operation(cached, request.operationName);
    if (!operation || operation.operation === 'subscription') return null;
    const context = await request.context();
    const operationName = operation.name?.value ?? null;
    if (options.admit) {
      try {
        await options.admit(context, { schema, document: cached.document, operation, operationName, variables: request.variables ?? {}, queryHash: cached.hash });
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        return graphqlResponse({ errors: [error] }, options.formatError, request.contentType);
      }
    }
    // An answer that may be kept: served kept if nothing changed, else computed after reading the generations.
    const keptPlan = options.kept?.plan(schema, cached.document, operation) ?? null;
    const keptKey = keptPlan ? KeptAnswers.key(context.principal, cached.hash, operationName, request.variables, request.contentType) : '';
    let generations: number[] | null = null;
    if (keptPlan) {
      try {
        const kept = await options.kept!.lookup(keptKey, context.principal);
        if (kept) return kept;
        generations = await options.kept!.generations(keptPlan, context.principal);
      } catch (error) {
        // A subgraph that cannot tell its generation: the answer is computed as usual, and not kept.
        context.logger.warn({ err: { message: (error as Error).message } }, 'kept answers: generation unavailable');
      }
    }
    const result = await options.gateway.executor({
      // The operation's name goes to the executor only when the document holds several: with it, the gateway
      // hashes the plan-cache key again on every request.
      request: { query: request.query, variables: request.variables, operationName: cached.operations.size > 1 ? operationName ?? undefined : undefined },
      document: cached.document,
      queryHash: cached.hash,
      source: request.query,
      operationName,
      operation,
      schema,
      context,
      logger: context.logger,
      metrics: { captureTraces: false },
      cache: undefined,
      overallCachePolicy: undefined,
    } as unknown as Parameters<ApolloGateway['executor']>[0]);
    if (result.data === undefined) return null;
    await runResponseHooks(options.hooks, { result, document: cached.document, operation, schema, context });
    const response = graphqlResponse(result, options.formatError, request.contentType);
    if (keptPlan && generations && !result.errors?.length) options.kept!.keep(keptKey, response, keptPlan, generations, context.validUntil ?? Infinity);
    return response;
  };
}
