/**
 * The pipeline's document stage: each query text parsed with the parser's token limit, checked against the
 * operation limits (gateway/limits.ts: GraphQL Armor's depth, alias and directive rules, the gateway's root-field,
 * selection and repetition rules, and the cost per request's variables), and only then validated by graphql-js
 * and the gateway's own rules — once per text (kit/document-cache.ts, bounded in bytes).
 */
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type GraphQLSchema, type ValidationContext, type ValidationRule } from 'graphql';
import { DocumentCache, isRefused, type RefusedDocument } from '../kit/document-cache.js';
import { ErrorCode, limitExceeded } from '../kit/errors.js';
import type { Limits } from './limits.js';
import { operationCost } from './operation-cost.js';
import type { Stage } from './pipeline.js';
import { MaxRepeatedFieldsRule } from './rules/MaxRepeatedFieldsRule.js';
import { MaxRootFieldsRule } from './rules/MaxRootFieldsRule.js';
import { MaxSelectionsRule } from './rules/MaxSelectionsRule.js';

/** GraphQL Armor reports through a callback; the refusal is ours, naming the limit and its value. */
const armorRefusal = (limit: string, max: number, what: string) => ({
  n: max,
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null) => context?.reportError(limitExceeded(limit, max, what))],
});

/** The rules that bound a document's size and shape: cheap, and run before any other. */
export function limitRules(limits: Limits): ValidationRule[] {
  return [
    maxDepthRule({
      ...armorRefusal('depth', limits.depth, 'the operation is nested too deeply'),
      ignoreIntrospection: true,
    }) as unknown as ValidationRule,
    maxAliasesRule(
      armorRefusal('aliases', limits.aliases, 'the operation has too many aliases'),
    ) as unknown as ValidationRule,
    maxDirectivesRule(
      armorRefusal('directives', limits.directives, 'the operation has too many directives'),
    ) as unknown as ValidationRule,
    MaxRootFieldsRule(limits.rootFields),
    MaxSelectionsRule(limits.selections),
    MaxRepeatedFieldsRule(limits.repeatedFields),
  ];
}

/**
 * A refused document's errors as Apollo Server would answer them (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED,
 * HTTP 400); the parser's refusal past the token limit is the limit's own error.
 */
function answerable(prepared: RefusedDocument, maxTokens: number): RefusedDocument {
  if (prepared.phase === 'limits') return prepared;
  const code = prepared.phase === 'parse' ? ErrorCode.GRAPHQL_PARSE_FAILED : ErrorCode.GRAPHQL_VALIDATION_FAILED;
  return {
    ...prepared,
    errors: prepared.errors.map((error) => {
      if (prepared.phase === 'parse' && /contains more th(?:an|at) \d+ tokens/.test(error.message))
        return limitExceeded('tokens', maxTokens, 'the document is too long');
      if (error.extensions.code) return error;
      return new GraphQLError(error.message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        extensions: { code, http: { status: 400 } },
      });
    }),
  };
}

export function operationLimitsStage<TContext>(
  limits: Limits,
  rules: readonly ValidationRule[],
): Stage<TContext> & { documents(schema: GraphQLSchema): DocumentCache } {
  const caches = new WeakMap<GraphQLSchema, DocumentCache>();
  const documents = (schema: GraphQLSchema) => {
    let cache = caches.get(schema);
    if (!cache)
      caches.set(
        schema,
        (cache = new DocumentCache(schema, { rules, cheapRules: limitRules(limits), maxTokens: limits.tokens })),
      );
    return cache;
  };
  return {
    name: 'operation limits',
    documents,
    document({ query, params, schema }) {
      const operationName = typeof params.operationName === 'string' ? params.operationName : undefined;
      const prepared = documents(schema).prepare(query, (document) => {
        const cost = operationCost(schema, document, operationName, params.variables);
        return cost !== null && cost > limits.cost
          ? limitExceeded('cost', limits.cost, 'the answer could hold too many objects')
          : null;
      });
      return isRefused(prepared) ? answerable(prepared, limits.tokens) : prepared;
    },
  };
}
