/**
 * Where an operation can return party data: a plan, built once per document, of the response keys that lead to a
 * `@pii` field, decided on schema coordinates (type and field) and never on response keys, so an alias cannot hide a
 * field or impersonate one. Applying the plan walks only those paths.
 */
import {
  getNamedType,
  isAbstractType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  Kind,
  typeFromAST,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { PiiCategory } from '../kit/privacy.js';

/** Response key → what lies under it: a `@pii` field's category, or further steps. */
export type RedactionPlan = Map<string, { category?: PiiCategory; next?: RedactionPlan }>;

export interface OperationPrivacy {
  /** Paths to `@pii` output fields; empty when the operation selects none. */
  plan: RedactionPlan;
  /** `@pii` input fields the operation filters by (through literals or variables), as `Type.field` → category. */
  inputs: (variables: Record<string, unknown>) => Map<string, PiiCategory>;
}

function fieldsOf(type: GraphQLCompositeType) {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields() : {};
}

function mergeInto(plan: RedactionPlan, key: string, step: { category?: PiiCategory; next?: RedactionPlan }): void {
  const existing = plan.get(key);
  if (!existing) {
    plan.set(key, step);
    return;
  }
  existing.category ??= step.category;
  if (step.next) {
    existing.next ??= new Map();
    for (const [k, v] of step.next) mergeInto(existing.next, k, v);
  }
}

function buildPlan(
  schema: GraphQLSchema,
  pii: Map<string, PiiCategory>,
  fragments: Map<string, FragmentDefinitionNode>,
  selectionSet: SelectionSetNode,
  parent: GraphQLCompositeType,
  plan: RedactionPlan,
  seen: Set<string>,
): RedactionPlan {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name.startsWith('__')) continue;
      const key = selection.alias?.value ?? name;
      // On an abstract parent a field may be marked on some of its possible types: any mark counts.
      const owners = isAbstractType(parent) ? [parent, ...schema.getPossibleTypes(parent)] : [parent];
      for (const owner of owners) {
        const field = fieldsOf(owner)[name];
        if (!field) continue;
        const category = pii.get(`${owner.name}.${name}`);
        if (category) {
          mergeInto(plan, key, { category });
        } else if (selection.selectionSet) {
          const next = buildPlan(
            schema,
            pii,
            fragments,
            selection.selectionSet,
            getNamedType(field.type) as GraphQLCompositeType,
            new Map(),
            seen,
          );
          if (next.size) mergeInto(plan, key, { next });
        }
      }
    } else {
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
      if (!fragment || (selection.kind === Kind.FRAGMENT_SPREAD && seen.has(selection.name.value))) continue;
      const condition = fragment.typeCondition ? typeFromAST(schema, fragment.typeCondition) : parent;
      const inner = new Set(seen);
      if (selection.kind === Kind.FRAGMENT_SPREAD) inner.add(selection.name.value);
      buildPlan(
        schema,
        pii,
        fragments,
        fragment.selectionSet,
        (condition ?? parent) as GraphQLCompositeType,
        plan,
        inner,
      );
    }
  }
  return plan;
}

/** `@pii` input fields reached by one value of an input type. */
function collectInputs(
  type: GraphQLInputType,
  value: unknown,
  pii: Map<string, PiiCategory>,
  found: Map<string, PiiCategory>,
): void {
  if (value === null || value === undefined) return;
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    for (const item of Array.isArray(value) ? value : [value]) collectInputs(inner.ofType, item, pii, found);
    return;
  }
  if (!isInputObjectType(inner) || typeof value !== 'object') return;
  const fields = inner.getFields();
  for (const name of Object.keys(value)) {
    const field = fields[name];
    if (!field) continue;
    const fieldValue = (value as Record<string, unknown>)[name];
    const category = pii.get(`${inner.name}.${name}`);
    if (category && fieldValue !== null && fieldValue !== undefined) found.set(`${inner.name}.${name}`, category);
    collectInputs(field.type, fieldValue, pii, found);
  }
}

/** A literal argument value as plain data, with variables looked up (enough to see which input fields are set). */
function literal(node: ValueNode, variables: Record<string, unknown>): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables[node.name.value];
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map((v) => literal(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literal(f.value, variables)]));
    default:
      return true;
  }
}

export function operationPrivacy(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  pii: Map<string, PiiCategory>,
): OperationPrivacy {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  const plan = root ? buildPlan(schema, pii, fragments, operation.selectionSet, root, new Map(), new Set()) : new Map();

  // Arguments of the executed operation and of the fragments it may use.
  const argumentSites: { type: GraphQLInputType; value: ValueNode }[] = [];
  const typeInfo = new TypeInfo(schema);
  const visitor = visitWithTypeInfo(typeInfo, {
    Argument(node) {
      const argument = typeInfo.getArgument();
      if (argument) argumentSites.push({ type: argument.type, value: node.value });
    },
  });
  visit(operation, visitor);
  for (const fragment of fragments.values()) visit(fragment, visitor);
  const usesInputs = argumentSites.length > 0;

  return {
    plan,
    inputs(variables) {
      const found = new Map<string, PiiCategory>();
      if (!usesInputs) return found;
      for (const site of argumentSites) collectInputs(site.type, literal(site.value, variables), pii, found);
      return found;
    },
  };
}

const own = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

/**
 * Nulls every value on the plan's paths whose category `withheld` says so; returns how many non-null values it
 * withheld per category. Only own properties are touched, so a key such as `__proto__` is data like any other.
 */
export function applyPlan(
  data: unknown,
  plan: RedactionPlan,
  withheld: (category: PiiCategory) => boolean,
  counts: Map<PiiCategory, number> = new Map(),
): Map<PiiCategory, number> {
  if (data === null || typeof data !== 'object') return counts;
  if (Array.isArray(data)) {
    for (const item of data) applyPlan(item, plan, withheld, counts);
    return counts;
  }
  for (const [key, step] of plan) {
    if (!own(data, key)) continue;
    const value = (data as Record<string, unknown>)[key];
    if (step.category && withheld(step.category)) {
      if (value !== null) {
        Object.defineProperty(data, key, { value: null, enumerable: true, writable: true, configurable: true });
        counts.set(step.category, (counts.get(step.category) ?? 0) + 1);
      }
    } else if (step.next) {
      applyPlan(value, step.next, withheld, counts);
    }
  }
  return counts;
}
