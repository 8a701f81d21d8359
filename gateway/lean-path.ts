/**
 * The gateway's lean request path for a JSON POST: the operation stages of the pipeline (gateway/pipeline.ts), then
 * straight to Apollo Gateway's executor — its query planner and plan cache (keyed by the query's hash and operation
 * name, never by caller) — then the result stages and one serialisation. The document was parsed, limited and
 * validated once per query text by the pipeline's document stage.
 *
 * Variables that do not coerce are left to Apollo Server's pipeline before any stage runs, for its canonical error.
 */
import type { ApolloGateway } from '@apollo/gateway';
import { getVariableValues, type VariableDefinitionNode } from 'graphql';
import type { ReadyAnswer } from '../kit/graphql-response.js';
import type { Logger } from '../kit/log.js';
import type { CachedDocument } from '../kit/document-cache.js';
import type { OperationFacts, StageRunner } from './pipeline.js';

export function gatewayLeanPath<TContext extends { logger: Logger }>(gateway: ApolloGateway) {
  return async function leanPath(
    facts: OperationFacts<TContext>,
    cached: CachedDocument,
    run: StageRunner<TContext>,
  ): Promise<ReadyAnswer | null> {
    const { operation, schema, context } = facts;
    if (operation) {
      const coerced = getVariableValues(
        schema,
        (operation.variableDefinitions as VariableDefinitionNode[]) ?? [],
        facts.variables,
      );
      if (coerced.errors) return null;
    }
    const early = await run.operation(facts);
    if (early) return early;
    const result = await gateway.executor({
      // The operation's name goes to the executor only when the document holds several: with it, the gateway
      // hashes the plan-cache key again on every request.
      request: {
        query: facts.params.query,
        variables: facts.params.variables,
        operationName: cached.operations.size > 1 ? (facts.operationName ?? undefined) : undefined,
      },
      document: cached.document,
      queryHash: cached.hash,
      source: facts.params.query,
      operationName: facts.operationName,
      operation,
      schema,
      context,
      logger: context.logger,
      metrics: { captureTraces: false },
      cache: undefined,
      overallCachePolicy: undefined,
    } as unknown as Parameters<ApolloGateway['executor']>[0]);
    const response = await run.answer(schema, facts, facts.params, result, facts.contentType);
    run.sent(facts, response);
    return response;
  };
}
