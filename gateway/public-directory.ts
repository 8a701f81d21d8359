/**
 * Without a token, only the public directory is served: every field the operation selects (through fragments
 * too) must be marked `@public` in the supergraph. Anything else is refused with UNAUTHENTICATED before any
 * subgraph is called.
 */
import { TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import { unauthenticated } from '../kit/errors.js';
import { PUBLIC_ROLE, type Principal } from '../kit/principal.js';
import type { Stage } from './pipeline.js';

/** The first selected coordinate the anonymous principal may not reach, or null when all are public. */
export function firstNonPublicField(schema: GraphQLSchema, document: DocumentNode, open: Set<string>): string | null {
  const typeInfo = new TypeInfo(schema);
  let refused: string | null = null;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (refused || node.name.value === '__typename') return;
        const parent = typeInfo.getParentType();
        const coordinate = `${parent?.name ?? '?'}.${node.name.value}`;
        if (!open.has(coordinate)) refused = coordinate;
      },
    }),
  );
  return refused;
}

export function publicDirectoryStage<TContext extends { principal: Principal }>(open: Set<string>): Stage<TContext> {
  return {
    name: 'public directory',
    operation({ context, schema, document, operation }) {
      if (context.principal.role !== PUBLIC_ROLE) return;
      if (operation?.operation !== 'query')
        throw unauthenticated(`a ${operation?.operation ?? 'request'} needs a token`);
      const refused = firstNonPublicField(schema, document, open);
      if (refused)
        throw unauthenticated(
          `${refused} needs a token: without one only the public directory of institutions is served`,
        );
    },
  };
}
