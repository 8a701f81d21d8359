/**
 * Max root fields: an operation selects at most `max` fields at its root, through inline fragments and fragment
 * spreads, so one request cannot fan out into thousands of subgraph calls (5,000 aliases of `case(id:)`).
 */
import { Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';
import { limitExceeded } from '../../kit/errors.js';

export function MaxRootFieldsRule(max: number) {
  return (context: ValidationContext): ASTVisitor => {
    const rootFields = (set: SelectionSetNode, seen: Set<string>): number => {
      let count = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) count += selection.name.value === '__typename' ? 0 : 1;
        else if (selection.kind === Kind.INLINE_FRAGMENT) count += rootFields(selection.selectionSet, seen);
        else if (!seen.has(selection.name.value)) {
          // A spread repeated at the root merges into the same fields: counted once (cycles end here too).
          seen.add(selection.name.value);
          const fragment = context.getFragment(selection.name.value);
          if (fragment) count += rootFields(fragment.selectionSet, seen);
        }
      }
      return count;
    };
    return {
      OperationDefinition(node) {
        if (rootFields(node.selectionSet, new Set()) > max)
          context.reportError(limitExceeded('rootFields', max, 'the operation selects too many root fields'));
        return false;
      },
    };
  };
}
