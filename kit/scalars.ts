/** Scalars every subgraph shares. */
import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from './errors.js';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseInstant(value: unknown): string {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    // The value itself is not echoed: it may be party data.
    throw badInput('DateTime', 'expects an ISO 8601 instant with a time zone, e.g. 2026-03-01T08:30:00Z');
  }
  return new Date(value).toISOString();
}

const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Converts what a store returns (a Date from PostgreSQL, text from sqlite) to ISO 8601 UTC. */
export function toIso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  // sqlite hands back the text it was given, usually already in toISOString()'s form: no round trip through Date.
  return CANONICAL_UTC.test(value) ? value : new Date(value).toISOString();
}

export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An instant in ISO 8601 (UTC).',
  serialize: (value) => toIso(value as Date | string),
  parseValue: parseInstant,
  parseLiteral: (ast) => parseInstant(ast.kind === Kind.STRING ? ast.value : undefined),
});
