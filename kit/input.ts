/**
 * Checks on scalar input every subgraph's mutations share. Errors are BAD_USER_INPUT naming the field and never
 * echoing the value: the value may be party data.
 */
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
  if (!Number.isInteger(value) || value < 1) throw badInput('expectedVersion', 'must be the version you read (1 or more)');
  return value;
}
