/**
 * A Federation 1 rendering of one of our Federation 2 subgraph SDLs, for the mercurius gateway (Federation 1
 * only). The subgraphs themselves are unchanged: the operations a Federation 1 gateway sends them (`_entities`,
 * root fields) are the same. Changes: no `@link`/`@composeDirective`/`@shareable`/`@inaccessible`; the root types
 * and an entity owned by another subgraph become `extend type`, the entity's key fields `@external`.
 */
import fs from 'node:fs';
import { Kind, parse, print, visit, type DirectiveNode, type ObjectTypeDefinitionNode } from 'graphql';

const FEDERATION2_ONLY = new Set([
  'link',
  'composeDirective',
  'shareable',
  'inaccessible',
  'tag',
  'override',
  'interfaceObject',
]);
/** Which subgraph owns (defines the fields of) each entity. */
const OWNER: Record<string, string> = { Case: 'cases', Institution: 'institutions', Referral: 'referrals' };

export function toFederation1(sdl: string, subgraph: string): string {
  const document = visit(parse(sdl), {
    SchemaExtension: () => null,
    SchemaDefinition: () => null,
    Directive: (node: DirectiveNode) => (FEDERATION2_ONLY.has(node.name.value) ? null : undefined),
    DirectiveDefinition: (node) =>
      FEDERATION2_ONLY.has(node.name.value) || node.name.value === 'key' ? null : undefined,
    ObjectTypeDefinition(node: ObjectTypeDefinitionNode) {
      // Federation 1 services extend the root types rather than each defining them.
      if (node.name.value === 'Query' || node.name.value === 'Mutation')
        return { ...node, kind: Kind.OBJECT_TYPE_EXTENSION, description: undefined };
      const key = node.directives?.find((d) => d.name.value === 'key');
      const owner = OWNER[node.name.value];
      if (!key || !owner || owner === subgraph) return undefined;
      const keyFields = new Set(String((key.arguments?.[0]?.value as { value?: string }).value ?? '').split(/\s+/));
      return {
        ...node,
        kind: Kind.OBJECT_TYPE_EXTENSION,
        description: undefined,
        fields: node.fields?.map((f) =>
          keyFields.has(f.name.value)
            ? {
                ...f,
                directives: [
                  ...(f.directives ?? []),
                  { kind: Kind.DIRECTIVE, name: { kind: Kind.NAME, value: 'external' } },
                ],
              }
            : f,
        ),
      };
    },
  });
  return print(document);
}

/** The subgraph's checked-in SDL (schema/<name>.graphql), rendered for Federation 1. */
export function federation1Sdl(subgraph: string): string {
  return toFederation1(fs.readFileSync(new URL(`../../schema/${subgraph}.graphql`, import.meta.url), 'utf8'), subgraph);
}
