/**
 * Checks on scalar input every subgraph's mutations share. Errors are BAD_USER_INPUT naming the field and never
 * echoing the value: the value may be party data.
 */
import {
  defaultFieldResolver,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { badInput } from './errors.js';

/** A required text: present, not blank, not too long. Returns it trimmed. */
export function requiredText(field: string, value: string | null | undefined, limit: number): string {
  const text = value?.trim() ?? '';
  if (text.length === 0) throw badInput(field, 'must not be blank');
  if (text.length > limit) throw badInput(field, `must be at most ${limit} characters (got ${text.length})`);
  return text;
}

export function optionalText(field: string, value: string | null | undefined, limit: number): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  return requiredText(field, value, limit);
}

export function notInFuture(field: string, value: string | null | undefined, now: Date): string | null {
  if (!value) return null;
  if (Date.parse(value) > now.getTime()) throw badInput(field, 'must not be in the future');
  return value;
}

/** An `expectedVersion` argument: the version the caller read, 1 or more. */
export function checkExpectedVersion(value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw badInput('expectedVersion', 'must be the version you read (1 or more)');
  return value;
}

/**
 * The path of the first string holding a NUL character in an argument's value (`input.parties[1].name`), or null.
 * Input objects are walked by their schema's field names; a custom scalar's value (`_Any`, JSON) is named as a
 * whole, since its own keys are request text.
 */
function nulAt(value: unknown, type: GraphQLInputType, path: string): string | null {
  if (value === null || value === undefined) return null;
  const named = isNonNullType(type) ? type.ofType : type;
  if (isListType(named)) {
    if (!Array.isArray(value)) return nulAt(value, named.ofType, path);
    for (let i = 0; i < value.length; i++) {
      const found = nulAt(value[i], named.ofType, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (isInputObjectType(named)) {
    const fields = named.getFields();
    for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
      const found = fields[name] ? nulAt(item, fields[name].type, `${path}.${name}`) : null;
      if (found) return found;
    }
    return null;
  }
  return holdsNul(value) ? path : null;
}

function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (value && typeof value === 'object')
    return Object.entries(value).some(([key, item]) => key.includes('\0') || holdsNul(item));
  return false;
}

/**
 * Refuses a NUL character in any string argument of any field, before its resolver runs: PostgreSQL cannot store
 * one in text (it failed as an internal error) and sqlite would, so both stores answer BAD_USER_INPUT naming the field.
 */
export function refuseNulInArguments(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0) continue;
      const args = field.args;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, values, context, info) => {
        for (const arg of args) {
          const found = nulAt(values[arg.name], arg.type, arg.name);
          if (found) throw badInput(found, 'must not contain a NUL character (U+0000)');
        }
        return resolve(source, values, context, info);
      };
    }
  }
  return schema;
}
