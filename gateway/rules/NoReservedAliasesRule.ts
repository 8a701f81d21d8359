/**
 * No reserved aliases: an alias may not start with `__`, the prefix GraphQL reserves for introspection, so no field
 * can be disguised as `__typename` in a response (and no response key reaches an object's `__proto__`).
 */
import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';

export function NoReservedAliasesRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      const alias = node.alias?.value;
      if (alias?.startsWith('__')) {
        // The alias is request text, never repeated: its location points the client at it.
        context.reportError(
          new GraphQLError(
            `An alias of field "${node.name.value}" starts with "__", which GraphQL reserves for introspection.`,
            { nodes: node.alias },
          ),
        );
      }
    },
  };
}
