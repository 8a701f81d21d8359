/**
 * Parsed and validated documents, kept per query text, so a service's lean request path parses and validates
 * each distinct operation once. Only documents that parse, validate and carry no introspection are kept:
 * anything else answers null, and the caller hands the request to the full Apollo Server pipeline, which
 * produces the canonical error (or serves introspection where it is allowed). Nothing here depends on who asks.
 */
import { createHash } from 'node:crypto';
import { Kind, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, type ValidationRule } from 'graphql';

export interface CachedDocument {
  document: DocumentNode;
  /** sha256 of the query text: Apollo Gateway keys its query-plan cache by it. */
  hash: string;
  /** Each operation by name; the only anonymous one under ''. */
  operations: Map<string, OperationDefinitionNode>;
}

const INTROSPECTION = /\b__(schema|type)\b/;

export class DocumentCache {
  private readonly entries = new Map<string, CachedDocument | null>();

  /** `rules`: the service's own validation rules, on top of the specification's. */
  constructor(private readonly schema: GraphQLSchema, rules: readonly ValidationRule[] = [], private readonly maxEntries = 1000) {
    this.rules = [...specifiedRules, ...rules];
  }

  private readonly rules: ValidationRule[];

  /** The document for `query`, or null when the full pipeline must handle it (bad syntax, invalid, introspection). */
  get(query: string): CachedDocument | null {
    const hit = this.entries.get(query);
    if (hit !== undefined) return hit;
    const entry = this.prepare(query);
    // A bounded cache: when full, the oldest entry goes (Map keeps insertion order).
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(query, entry);
    return entry;
  }

  /** The operation a request names (or its only one), or null when the name does not pick exactly one. */
  static operation(cached: CachedDocument, operationName: unknown): OperationDefinitionNode | null {
    if (typeof operationName === 'string' && operationName !== '') return cached.operations.get(operationName) ?? null;
    if (operationName !== undefined && operationName !== null && operationName !== '') return null;
    return cached.operations.size === 1 ? cached.operations.values().next().value! : null;
  }

  private prepare(query: string): CachedDocument | null {
    if (INTROSPECTION.test(query)) return null;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch {
      return null;
    }
    if (validate(this.schema, document, this.rules).length > 0) return null;
    const operations = new Map<string, OperationDefinitionNode>();
    for (const definition of document.definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION) operations.set(definition.name?.value ?? '', definition);
    }
    return { document, hash: createHash('sha256').update(query).digest('hex'), operations };
  }
}
