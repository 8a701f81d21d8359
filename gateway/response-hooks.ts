/**
 * Post-processing of every gateway response before it is serialised (e.g. redaction of marked fields): one list
 * of hooks, run on both request paths — the lean path (gateway/fast-path.ts) calls them directly, and
 * `responseHooksPlugin` runs the same hooks in Apollo Server's `willSendResponse` for requests the full
 * pipeline serves. A hook changes `result.data` in place; errors are already formatted on the Apollo path, so
 * hooks leave them alone.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';

export interface ResponseHookInput<TContext> {
  result: { data?: Record<string, unknown> | null };
  document: DocumentNode;
  operation: OperationDefinitionNode;
  schema: GraphQLSchema;
  context: TContext;
}

export type ResponseHook<TContext> = (input: ResponseHookInput<TContext>) => void | Promise<void>;

export async function runResponseHooks<TContext>(hooks: readonly ResponseHook<TContext>[], input: ResponseHookInput<TContext>): Promise<void> {
  for (const hook of hooks) await hook(input);
}

export function responseHooksPlugin<TContext extends object>(hooks: readonly ResponseHook<TContext>[]): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, document, operation, schema, contextValue }) {
          if (hooks.length === 0 || response.body.kind !== 'single' || !document || !operation) return;
          await runResponseHooks(hooks, { result: response.body.singleResult as ResponseHookInput<TContext>['result'], document, operation, schema, context: contextValue });
        },
      };
    },
  };
}
