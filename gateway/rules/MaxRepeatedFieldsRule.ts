/**
 * Max repeated fields: one selection set names one response key at most `max` times. Repeats merge into one answer
 * field, so they add nothing for a client, while graphql-js's overlapping-fields check compares them pairwise.
 */
import { type ASTVisitor, Kind, type ValidationContext } from 'graphql';
import { limitExceeded } from '../../kit/errors.js';

export function MaxRepeatedFieldsRule(max: number) {
  return (context: ValidationContext): ASTVisitor => {
    let reported = false;
    return {
      SelectionSet(node) {
        if (reported) return false;
        const seen = new Map<string, number>();
        for (const selection of node.selections) {
          if (selection.kind !== Kind.FIELD) continue;
          const key = (selection.alias ?? selection.name).value;
          const times = (seen.get(key) ?? 0) + 1;
          seen.set(key, times);
          if (times > max) {
            reported = true;
            context.reportError(limitExceeded('repeatedFields', max, 'a selection set repeats one field too often'));
            return false;
          }
        }
        return undefined;
      },
    };
  };
}
