/**
 * Parsed and validated documents, kept per query text, so a service parses and validates each distinct operation
 * once. A document is read in order of cost: parsed with the parser's own token limit, then checked by the cheap
 * rules (the gateway's operation limits), then by the caller's per-request check (the operation's cost), and only
 * then by graphql-js's specified rules, whose overlapping-fields check is quadratic: those never see a document
 * a cheap limit refuses. Refusals by a rule are kept as well as documents, and the store is bounded in bytes (estimated from
 * the text: a parsed document is about ten times its text), so a flood of distinct documents cannot grow the process
 * past its budget. Nothing here depends on who asks.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import {
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';

export interface CachedDocument {
  document: DocumentNode;
  /** sha256 of the query text: Apollo Gateway keys its query-plan cache by it. */
  hash: string;
  /** Each operation by name; the only anonymous one under ''. */
  operations: Map<string, OperationDefinitionNode>;
  /** It selects `__schema` or `__type`: introspection, which the full pipeline serves where it is allowed. */
  introspection: boolean;
}

/** A document that cannot run: the errors to answer with (syntax, a limit, validation), the phase that found them. */
export interface RefusedDocument {
  errors: readonly GraphQLError[];
  phase: 'parse' | 'limits' | 'validation';
}

export type PreparedDocument = CachedDocument | RefusedDocument;

export interface DocumentCacheOptions {
  /** The service's own validation rules, run with the specification's. */
  rules?: readonly ValidationRule[];
  /** Rules cheap enough to run on any document that parses, before all others (the gateway's operation limits). */
  cheapRules?: readonly ValidationRule[];
  /** The parser stops past this many tokens. */
  maxTokens?: number;
  maxBytes?: number;
}

const INTROSPECTION = /\b__(schema|type)\b/;
/** Bytes a kept document takes per character of its text: the text itself (UTF-16) and its syntax tree. */
const BYTES_PER_CHARACTER = 24;

export function isRefused(prepared: PreparedDocument): prepared is RefusedDocument {
  return 'errors' in prepared;
}

export class DocumentCache {
  private readonly entries: LRUCache<string, PreparedDocument>;
  /** Query text of each kept valid document by its hash. */
  private readonly texts = new Map<string, string>();
  private readonly rules: ValidationRule[];
  private readonly cheapRules: readonly ValidationRule[];

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly options: DocumentCacheOptions = {},
  ) {
    this.rules = [...specifiedRules, ...(options.rules ?? [])];
    this.cheapRules = options.cheapRules ?? [];
    const maxSize = options.maxBytes ?? 32 * 1024 * 1024;
    // A document too large for a sixteenth of the store is prepared afresh each time (the token limit bounds the work).
    this.entries = new LRUCache({
      maxSize,
      maxEntrySize: maxSize / 16,
      sizeCalculation: (_entry, query) => 256 + query.length * BYTES_PER_CHARACTER,
      dispose: (entry) => {
        if (!isRefused(entry)) this.texts.delete(entry.hash);
      },
    });
  }

  /**
   * The document for `query`, or why it cannot run. `check` runs on every call (the request's own facts, e.g. its
   * variables), after the cheap rules and before the specified ones: its refusal is not kept.
   */
  prepare(query: string, check?: (document: DocumentNode) => GraphQLError | null): PreparedDocument {
    const kept = this.entries.get(query);
    if (kept && isRefused(kept)) return kept;
    if (kept) {
      const refusal = check?.(kept.document);
      return refusal ? { errors: [refusal], phase: 'limits' } : kept;
    }
    let document: DocumentNode;
    try {
      document = parse(query, this.options.maxTokens ? { maxTokens: this.options.maxTokens } : undefined);
    } catch (error) {
      // Not kept: the parser stops at the token limit, so refusing again costs little, and the text may be long.
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError(String(error))], phase: 'parse' };
    }
    const overLimits = this.cheapRules.length ? validate(this.schema, document, this.cheapRules) : [];
    if (overLimits.length) return this.keep(query, { errors: overLimits, phase: 'limits' });
    const refusal = check?.(document);
    if (refusal) return { errors: [refusal], phase: 'limits' };
    const invalid = validate(this.schema, document, this.rules);
    if (invalid.length) return this.keep(query, { errors: invalid, phase: 'validation' });
    const operations = new Map<string, OperationDefinitionNode>();
    for (const definition of document.definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION) operations.set(definition.name?.value ?? '', definition);
    }
    return this.keep(query, {
      document,
      hash: createHash('sha256').update(query).digest('hex'),
      operations,
      introspection: INTROSPECTION.test(query),
    });
  }

  /** The valid document for `query`, or null when the full pipeline must handle it (bad syntax, invalid, introspection). */
  get(query: string): CachedDocument | null {
    const prepared = this.prepare(query);
    return isRefused(prepared) || prepared.introspection ? null : prepared;
  }

  /** A kept valid document by the SHA-256 of its text (Apollo Server's document store asks by hash). */
  byHash(hash: string): CachedDocument | undefined {
    const text = this.texts.get(hash);
    const entry = text === undefined ? undefined : this.entries.get(text);
    return entry && !isRefused(entry) ? entry : undefined;
  }

  /** The operation a request names (or its only one), or null when the name does not pick exactly one. */
  static operation(cached: CachedDocument, operationName: unknown): OperationDefinitionNode | null {
    if (typeof operationName === 'string' && operationName !== '') return cached.operations.get(operationName) ?? null;
    if (operationName !== undefined && operationName !== null && operationName !== '') return null;
    return cached.operations.size === 1 ? cached.operations.values().next().value! : null;
  }

  private keep<T extends PreparedDocument>(query: string, prepared: T): T {
    this.entries.set(query, prepared);
    if (!isRefused(prepared) && this.entries.has(query)) this.texts.set(prepared.hash, query);
    return prepared;
  }
}
