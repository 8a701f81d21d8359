/**
 * The privacy rule (Shanghai measures, Article 23) as the schema states it: `@pii(category:)` marks every field that
 * holds party data, where the data lives; the supergraph is therefore the one readable list of what is sensitive.
 * This module reads those marks from SDL and guards the marked fields of an executable schema.
 */
import type { Principal } from './principal.js';
import {
  defaultFieldResolver,
  isObjectType,
  Kind,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';

export const PII_CATEGORIES = [
  'NAME',
  'ID_NUMBER',
  'CONTACT',
  'DISPUTE_TIME',
  'DISPUTE_PLACE',
  'CLAIMS',
  'AGREEMENT_SUBJECT',
  'OTHER_PRIVATE',
] as const;
export type PiiCategory = (typeof PII_CATEGORIES)[number];

/** The relation to a case that lets a role see its party data in clear. */
export type Handling =
  'assigned institution' | 'supervising unit' | 'referred court or commission' | 'consent grant only';

/**
 * Who sees party data in clear, in one table. A role that handles cases sees the party data of the cases it handles
 * (the owning subgraph decides per record); every other role sees it only where a steward's consent grant covers the
 * category and the case. Everybody else gets null.
 */
export const CLEAR_ACCESS: Readonly<Record<Principal['role'], Handling>> = {
  institution: 'assigned institution',
  supervisor: 'supervising unit',
  court: 'referred court or commission',
  arbitration: 'referred court or commission',
  admin: 'consent grant only',
  intake: 'consent grant only',
  analyst: 'consent grant only',
  steward: 'consent grant only',
  public: 'consent grant only',
};

/** Roles that can see party data only through a consent grant (the gateway enforces this a second time). */
export const handlesCases = (role: Principal['role']): boolean => CLEAR_ACCESS[role] !== 'consent grant only';

/** `Type.field` (output fields and input fields) → the category its `@pii` names. */
export function piiCoordinates(document: DocumentNode): Map<string, PiiCategory> {
  const marked = new Map<string, PiiCategory>();
  for (const definition of document.definitions) {
    if (!('fields' in definition) || !('name' in definition) || !definition.name) continue;
    if (
      ![
        Kind.OBJECT_TYPE_DEFINITION,
        Kind.OBJECT_TYPE_EXTENSION,
        Kind.INPUT_OBJECT_TYPE_DEFINITION,
        Kind.INTERFACE_TYPE_DEFINITION,
      ].includes(definition.kind)
    )
      continue;
    for (const field of definition.fields ?? []) {
      const pii = field.directives?.find((d) => d.name.value === 'pii');
      const category = pii?.arguments?.find((a) => a.name.value === 'category')?.value;
      if (category?.kind === Kind.ENUM)
        marked.set(`${definition.name.value}.${field.name.value}`, category.value as PiiCategory);
    }
  }
  return marked;
}

/** What a guard decided for one value: shown in clear, or withheld (null). */
export type Disclosure = 'CLEAR' | 'WITHHELD';

/**
 * Wraps every `@pii` field's resolver: the value is resolved only if `decide` allows it for this parent record
 * (and field), and is null otherwise (a redaction is not an error). Each decision goes to `record`, the request's
 * privacy ledger, which feeds the audit log and the response's redaction counts.
 */
export function guardPiiFields<TContext>(
  schema: GraphQLSchema,
  marked: Map<string, PiiCategory>,
  decide: (context: TContext, category: PiiCategory, parent: unknown, field: string) => boolean | Promise<boolean>,
  record: (context: TContext, category: PiiCategory, parent: unknown, disclosure: Disclosure) => void,
): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const category = marked.get(`${type.name}.${field.name}`);
      if (!category) continue;
      const resolve: GraphQLFieldResolver<unknown, TContext> = field.resolve ?? defaultFieldResolver;
      field.resolve = (parent, args, context, info) => {
        const settle = (allowed: boolean) => {
          if (!allowed) {
            record(context, category, parent, 'WITHHELD');
            return null;
          }
          const value = resolve(parent, args, context, info);
          if (value !== null && value !== undefined) record(context, category, parent, 'CLEAR');
          return value;
        };
        const allowed = decide(context, category, parent, field.name);
        return allowed instanceof Promise ? allowed.then(settle) : settle(allowed);
      };
    }
  }
  return schema;
}

/**
 * The gateway tells subgraphs which client operation a subgraph request serves, so their audit records name the
 * client's operation and document rather than the query plan's fetch.
 */
export const OPERATION_NAME_HEADER = 'x-jiefen-operation';
export const DOCUMENT_HASH_HEADER = 'x-jiefen-document-hash';
