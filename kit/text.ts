/** Bounded free text in mutation inputs: errors name the field and never echo the value (it may be party data). */
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
