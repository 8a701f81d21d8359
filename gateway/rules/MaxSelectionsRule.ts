/**
 * Max selections: an operation holds at most `max` field selections, each fragment counted as often as it is spread
 * (the work of validating and planning grows with them, and a few nested spreads multiply a small document).
 */
import { Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';
import { limitExceeded } from '../../kit/errors.js';

export function MaxSelectionsRule(max: number) {
  return (context: ValidationContext): ASTVisitor => {
    // Each fragment's own count, worked out once; a fragment on the path being counted counts nothing (a cycle,
    // which validation refuses later).
    const fragments = new Map<string, number>();
    const selections = (set: SelectionSetNode, path: Set<string>): number => {
      let count = 0;
      for (const selection of set.selections) {
        if (count > max) break;
        if (selection.kind === Kind.FIELD)
          count += 1 + (selection.selectionSet ? selections(selection.selectionSet, path) : 0);
        else if (selection.kind === Kind.INLINE_FRAGMENT) count += selections(selection.selectionSet, path);
        else count += fragmentCount(selection.name.value, path);
      }
      return count;
    };
    const fragmentCount = (name: string, path: Set<string>): number => {
      const known = fragments.get(name);
      if (known !== undefined) return known;
      const fragment = context.getFragment(name);
      if (!fragment || path.has(name)) return 0;
      path.add(name);
      const count = selections(fragment.selectionSet, path);
      path.delete(name);
      fragments.set(name, count);
      return count;
    };
    return {
      OperationDefinition(node) {
        if (selections(node.selectionSet, new Set()) > max)
          context.reportError(limitExceeded('selections', max, 'the operation holds too many field selections'));
        return false;
      },
    };
  };
}
