/**
 * Execution of validated documents through graphql-jit: each operation is compiled once into a function (kept per
 * parsed document, so per query text: kit/document-cache.ts keeps one document per text), and every request runs
 * that function. graphql-js walks the selection anew for every field of every object (a dashboard answer is ~413
 * entities x 20 fields); the compiled function does the same work without the per-field bookkeeping. Same schema,
 * same resolvers, same results; errors are handed back as graphql-js `GraphQLError`s with their path, locations,
 * extensions and original error, so the error formatter sees what it would from graphql-js.
 * An operation graphql-jit cannot compile runs on graphql-js `execute`, unchanged.
 */
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import {
  defaultFieldResolver,
  execute,
  GraphQLError,
  isObjectType,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { ExecutionResultLike } from './graphql-response.js';

export class CompiledExecutor {
  /** Per document, per operation name ('' for the only one): the compiled query, or null where compiling failed. */
  private readonly compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();

  constructor(private readonly schema: GraphQLSchema) {
    resolveDefaultsAsGraphqlJs(schema);
  }

  private compiledFor(document: DocumentNode, operationName: string | undefined): CompiledQuery | null {
    let perOperation = this.compiled.get(document);
    if (!perOperation) this.compiled.set(document, (perOperation = new Map()));
    const key = operationName ?? '';
    let query = perOperation.get(key);
    if (query === undefined) {
      let result: CompiledQuery | ExecutionResult | null = null;
      try {
        result = compileQuery(this.schema, document as Parameters<typeof compileQuery>[1], operationName, {
          disablingCapturingStackErrors: true,
        }) as CompiledQuery | ExecutionResult;
      } catch {
        result = null;
      }
      query = result && isCompiledQuery(result) ? result : null;
      perOperation.set(key, query);
    }
    return query;
  }

  async execute(args: {
    document: DocumentNode;
    operationName?: string;
    variableValues?: Record<string, unknown> | null;
    contextValue: unknown;
  }): Promise<ExecutionResultLike> {
    const query = this.compiledFor(args.document, args.operationName);
    if (!query) return execute({ schema: this.schema, ...args }) as Promise<ExecutionResultLike>;
    const result = await query.query(undefined, args.contextValue, args.variableValues ?? {});
    if (!result.errors?.length) return result as ExecutionResultLike;
    return { ...result, errors: result.errors.map(asGraphQLError) } as ExecutionResultLike;
  }
}

/**
 * graphql-jit reads a field without a resolver as a plain property, where graphql-js's default resolver calls a
 * function-valued property and awaits a promise (connections hand `totalCount` over as a function, counted only when
 * selected). Every such field of the schema gets graphql-js's default resolver, so both executors resolve it alike.
 * graphql-js runs unchanged with it: it is the resolver it would use anyway. Idempotent.
 */
export function resolveDefaultsAsGraphqlJs(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) field.resolve ??= defaultFieldResolver;
  }
  return schema;
}

/**
 * graphql-jit's errors are its own class (on GraphQLError's prototype, but built without its constructor: no
 * `extensions` object when the cause has none): rebuilt as graphql-js's, with path, locations, cause and extensions.
 */
function asGraphQLError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const jit = error as Error & {
    path?: readonly (string | number)[];
    locations?: GraphQLError['locations'];
    originalError?: Error | null;
    extensions?: Record<string, unknown>;
  };
  const converted = new GraphQLError(jit.message, {
    path: jit.path,
    originalError: jit.originalError ?? undefined,
    extensions: jit.extensions,
  });
  if (jit.locations)
    Object.defineProperty(converted, 'locations', {
      value: jit.locations,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return converted;
}
