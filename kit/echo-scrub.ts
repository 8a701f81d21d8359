/**
 * graphql-js echoes the input it could not use in its messages ("Variable "$x" got invalid value "张三"…",
 * "Expected value of type …, found "…"", "Syntax Error: … String "…""), and input may be party data. Every error
 * message leaves a service with each string the request sent (variable values and string literals of the document)
 * replaced by a placeholder, and without "Did you mean …?" suggestions, which fish for field and value names.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from './errors.js';

export const WITHHELD_INPUT = '<input withheld>';

/** The strings (and long numbers) a request carries: what an error message must not repeat. */
export function inputsOf(query: string | undefined, variables: unknown): string[] {
  const found = new Set<string>();
  const walk = (value: unknown) => {
    if (typeof value === 'string') found.add(value);
    else if (typeof value === 'number' && String(value).length >= 4) found.add(String(value));
    else if (value && typeof value === 'object') for (const item of Object.values(value)) walk(item);
  };
  walk(variables);
  for (const match of query?.matchAll(/"""([\s\S]*?)"""|"((?:[^"\\\n]|\\.)*)"?/g) ?? []) {
    const literal = match[1] ?? match[2];
    if (literal) found.add(literal);
  }
  for (const match of query?.matchAll(/\b\d{4,}\b/g) ?? []) found.add(match[0]);
  // Longest first, so a value is replaced whole before any part of it; single characters would garble the message,
  // and enum values (UPPER_CASE names of the schema) are no party data and make the message useful.
  return [...found].filter((s) => s.trim().length >= 2 && !/^[A-Z][A-Z0-9_]*$/.test(s)).sort((a, b) => b.length - a.length);
}

export function scrubEchoes(message: string, inputs: readonly string[]): string {
  let scrubbed = message.replace(/ ?Did you mean [^?]*\?/g, '');
  for (const input of inputs) {
    for (const form of new Set([input, JSON.stringify(input).slice(1, -1)])) {
      if (form.length >= 2 && scrubbed.includes(form)) scrubbed = scrubbed.split(form).join(WITHHELD_INPUT);
    }
  }
  return scrubbed;
}

/** Codes of the hub's own errors: their messages are written not to echo input, and name enum states and fields. */
const ECHOING_CODES = new Set<string>([ErrorCode.BAD_USER_INPUT, ErrorCode.GRAPHQL_PARSE_FAILED, ErrorCode.GRAPHQL_VALIDATION_FAILED]);
const OWN_CODES = new Set<string>(Object.values(ErrorCode).filter((code) => !ECHOING_CODES.has(code)));

/** graphql-js's own messages (parse, validation, coercion), which may repeat input; the hub's own never do. */
export function mayEchoInput(error: { message: string; extensions?: Record<string, unknown> }): boolean {
  if (error.message.startsWith('Variable "$')) return true;
  const code = error.extensions?.code;
  if (typeof code === 'string' && OWN_CODES.has(code)) return false;
  return !(code === 'BAD_USER_INPUT' && typeof error.extensions?.field === 'string');
}

/** Scrubs each error of an answer that may repeat the request's input, in place. */
export function scrubAnswerErrors(answer: { errors?: readonly GraphQLFormattedError[] }, query: string | undefined, variables: unknown): void {
  if (!answer.errors?.some(mayEchoInput)) return;
  const inputs = inputsOf(query, variables);
  (answer as { errors: GraphQLFormattedError[] }).errors = answer.errors.map((e) => (mayEchoInput(e) ? { ...e, message: scrubEchoes(e.message, inputs) } : e));
}

/** Applies the scrub to every error of an Apollo Server response. */
export function echoScrubPlugin<T extends BaseContext>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response }) {
          if (response.body.kind === 'single') scrubAnswerErrors(response.body.singleResult, request.query, request.variables);
        },
      };
    },
  };
}
