/**
 * The public directory's policy, read from the `@public` directive in SDL (a subgraph's own, or the supergraph):
 * a request without a token may reach only fields marked `@public`. One reading, used by the gateway and subgraphs.
 */
import { defaultFieldResolver, isObjectType, Kind, type DocumentNode, type GraphQLSchema } from 'graphql';
import { tokenRequired } from './errors.js';
import { PUBLIC_ROLE, type Principal } from './principal.js';

/** `Type.field` coordinates marked `@public`. */
export function publicCoordinates(document: DocumentNode): Set<string> {
  const coordinates = new Set<string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    for (const field of definition.fields ?? []) {
      if (field.directives?.some((d) => d.name.value === 'public'))
        coordinates.add(`${definition.name.value}.${field.name.value}`);
    }
  }
  return coordinates;
}

export function needsToken(coordinate: string) {
  return tokenRequired(coordinate);
}

/** Wraps every field of the schema that is not public so that the anonymous principal cannot resolve it. */
export function guardNonPublicFields(schema: GraphQLSchema, open: Set<string>): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      if (open.has(coordinate)) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context: { principal: Principal }, info) => {
        if (context.principal.role === PUBLIC_ROLE) throw needsToken(coordinate);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
