/**
 * Post-processing of every gateway response before it is serialised (e.g. redaction of marked fields): one list of
 * hooks, run as one result stage of the pipeline (gateway/pipeline.ts), so on both request paths. A hook changes
 * `result.data` in place; errors are already formatted, so hooks leave them alone.
 */
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { Stage } from './pipeline.js';

export interface ResponseHookInput<TContext> {
  result: { data?: Record<string, unknown> | null; extensions?: Record<string, unknown> };
  document: DocumentNode;
  operation: OperationDefinitionNode;
  schema: GraphQLSchema;
  context: TContext;
}

export type ResponseHook<TContext> = (input: ResponseHookInput<TContext>) => void | Promise<void>;

export function responseHooksStage<TContext>(hooks: readonly ResponseHook<TContext>[]): Stage<TContext> {
  return {
    name: 'response hooks',
    async result({ operation: facts, answer }) {
      if (!facts?.operation) return;
      const input = {
        result: answer as ResponseHookInput<TContext>['result'],
        document: facts.document,
        operation: facts.operation,
        schema: facts.schema,
        context: facts.context,
      };
      for (const hook of hooks) await hook(input);
    },
  };
}
