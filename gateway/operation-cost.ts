/**
 * An operation's cost: how many objects its answer may hold. Each field whose type is an object counts once,
 * times the page sizes of the lists around it: a connection's `first` (or that argument's default), an unpaged
 * list `UNPAGED_LIST_SIZE`; a connection's `edges` are the page the connection already counted. Scalars count
 * nothing (the token, selection and repetition limits bound those). Worked out by graphql-query-complexity with
 * the request's variables, before any subgraph is asked.
 */
import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';

/** What an unpaged list (a case's parties, referrals, timeline; the districts) is taken to hold. */
export const UNPAGED_LIST_SIZE = 10;

const objectsEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!isCompositeType(getNamedType(field.type))) return 0;
  const pageArgument = field.args.find((arg) => arg.name === 'first');
  let size = 1;
  if (pageArgument)
    size =
      typeof args.first === 'number'
        ? args.first
        : typeof pageArgument.defaultValue === 'number'
          ? pageArgument.defaultValue
          : UNPAGED_LIST_SIZE;
  else if (isListType(getNullableType(field.type)) && field.name !== 'edges') size = UNPAGED_LIST_SIZE;
  return Math.max(size, 0) * (1 + childComplexity);
};

/**
 * The cost of the operation with these variables, or null when it cannot be worked out (variables that do not
 * coerce, an unknown field): validation or execution then refuses the request before anything runs.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
): number | null {
  try {
    return getComplexity({
      schema,
      query: document,
      operationName,
      variables: variables ?? {},
      estimators: [objectsEstimator],
    });
  } catch {
    return null;
  }
}
