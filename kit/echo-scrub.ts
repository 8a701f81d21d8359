/**
 * graphql-js echoes the input it could not use in its messages ("Variable "$x" got invalid value "张三"…",
 * "Expected value of type …, found "…"", "Field "张三" is not defined by type …", "Value "ZHANGSAN" does not exist
 * in … enum", "Unknown operation named …", "Syntax Error: … String "…""), and input may be party data. Every error
 * message that may repeat input leaves a service with each piece of text the request sent replaced by a
 * placeholder: string and number values (the document's literals as graphql's own lexer decodes them, escapes and
 * block strings included), object keys of the variables, every name of the document that is not the schema's own
 * vocabulary (enum values that are none, aliases, operation and fragment names, unknown fields), and the operation
 * name asked for; a syntax error loses every quoted excerpt. "Did you mean …?" suggestions, which fish for field and
 * value names, go too.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  Lexer,
  Source,
  TokenKind,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { ErrorCode } from './errors.js';

export const WITHHELD_INPUT = '<input withheld>';

/** What of a request may be echoed: its document, its variables (an object, or JSON text from a GET) and the operation name it asks for. */
export interface RequestText {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/** Words of the GraphQL language itself: never request data, and scrubbing them would garble every message. */
const KEYWORDS = new Set([
  'query',
  'mutation',
  'subscription',
  'fragment',
  'on',
  'true',
  'false',
  'null',
  '__typename',
  '__schema',
  '__type',
]);

const vocabularies = new WeakMap<GraphQLSchema, Set<string>>();

/** Every name the schema defines: types, fields, arguments, input fields, enum values, directives. */
function vocabularyOf(schema: GraphQLSchema): Set<string> {
  let names = vocabularies.get(schema);
  if (names) return names;
  names = new Set(KEYWORDS);
  for (const type of Object.values(schema.getTypeMap())) {
    names.add(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        names.add(field.name);
        for (const arg of field.args) names.add(arg.name);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.keys(type.getFields())) names.add(field);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) names.add(value.name);
    }
  }
  for (const directive of schema.getDirectives()) {
    names.add(directive.name);
    for (const arg of directive.args) names.add(arg.name);
  }
  vocabularies.set(schema, names);
  return names;
}

/** Whether the schema defines this name (a field, type, argument, enum value…): a response key that is not one is an alias. */
export function knownName(schema: GraphQLSchema, name: string): boolean {
  return vocabularyOf(schema).has(name);
}

/** A string and each of its lines: a multi-line value may be printed re-indented, line by line. */
function addText(found: Set<string>, text: string): void {
  found.add(text);
  if (text.includes('\n')) for (const line of text.split('\n')) found.add(line.trim());
}

function variablesOf(variables: unknown): unknown {
  if (typeof variables !== 'string') return variables;
  try {
    return JSON.parse(variables);
  } catch {
    return variables;
  }
}

/**
 * The pieces of text a request carries that an error message must not repeat, longest first. With the schema, the
 * document's names that are not the schema's own are among them (without it, names are left alone).
 */
export function inputsOf(request: RequestText, schema?: GraphQLSchema): string[] {
  const found = new Set<string>();
  const vocabulary = schema ? vocabularyOf(schema) : null;
  const walk = (value: unknown, depth: number) => {
    if (typeof value === 'string') addText(found, value);
    else if (typeof value === 'number' && String(value).length >= 4) found.add(String(value));
    else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        // Top-level keys are the variables' own names, which the document declares; deeper keys are data, unless
        // they are the schema's own field names (then the message may name them).
        if (depth > 0 && !Array.isArray(value) && !vocabulary?.has(key)) found.add(key);
        walk(item, depth + 1);
      }
    }
  };
  walk(variablesOf(request.variables), 0);
  if (typeof request.operationName === 'string') found.add(request.operationName);
  if (typeof request.query === 'string') {
    const lexer = new Lexer(new Source(request.query));
    try {
      for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
        const value = token.value ?? '';
        if (token.kind === TokenKind.STRING || token.kind === TokenKind.BLOCK_STRING) addText(found, value);
        else if ((token.kind === TokenKind.INT || token.kind === TokenKind.FLOAT) && value.length >= 4)
          found.add(value);
        else if (token.kind === TokenKind.NAME && vocabulary && !vocabulary.has(value)) found.add(value);
      }
    } catch {
      // A token the lexer refuses ends the document for graphql-js too: its syntax error is scrubbed whole.
    }
  }
  // Longest first, so a value is replaced whole before any part of it; single characters would garble the message.
  return [...found].filter((s) => s.trim().length >= 2).sort((a, b) => b.length - a.length);
}

const WORD = /[A-Za-z0-9_]/;

/** Replaces each occurrence of `form` that is not part of a longer word (a name "id" is no part of "invalid"). */
function replaceWhole(message: string, form: string): string {
  const wordStart = WORD.test(form[0]!);
  const wordEnd = WORD.test(form[form.length - 1]!);
  let out = '';
  let from = 0;
  for (let at = message.indexOf(form); at !== -1; at = message.indexOf(form, at + 1)) {
    if (at < from) continue;
    if (wordStart && at > 0 && WORD.test(message[at - 1]!)) continue;
    if (wordEnd && WORD.test(message[at + form.length] ?? '')) continue;
    out += message.slice(from, at) + WITHHELD_INPUT;
    from = at + form.length;
  }
  return out + message.slice(from);
}

export function scrubEchoes(message: string, inputs: readonly string[]): string {
  let scrubbed = message.replace(/ ?Did you mean [^?]*\?/g, '');
  // A syntax error quotes the text around the token it could not take, which the lexer may not have read.
  if (scrubbed.startsWith('Syntax Error:')) scrubbed = scrubbed.replace(/"(?:[^"\\]|\\.)*"?/g, `"${WITHHELD_INPUT}"`);
  for (const input of inputs) {
    for (const form of new Set([input, JSON.stringify(input).slice(1, -1)])) {
      if (form.length >= 2 && scrubbed.includes(form)) scrubbed = replaceWhole(scrubbed, form);
    }
  }
  return scrubbed;
}

/**
 * A message for the log, which may carry a driver's or the runtime's words about a value: every quoted excerpt is
 * withheld (PostgreSQL, JSON.parse and graphql-js quote the values they name), and the request's text when known.
 */
export function scrubForLog(message: string, inputs: readonly string[] = []): string {
  return scrubEchoes(message.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, `"${WITHHELD_INPUT}"`), inputs);
}

/** Codes of the hub's own errors: their messages are written not to echo input, and name enum states and fields. */
const ECHOING_CODES = new Set<string>([
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.GRAPHQL_PARSE_FAILED,
  ErrorCode.GRAPHQL_VALIDATION_FAILED,
]);
const OWN_CODES = new Set<string>(Object.values(ErrorCode).filter((code) => !ECHOING_CODES.has(code)));

/** graphql-js's own messages (parse, validation, coercion), which may repeat input; the hub's own never do. */
export function mayEchoInput(error: { message: string; extensions?: Record<string, unknown> }): boolean {
  if (error.message.startsWith('Variable "$')) return true;
  const code = error.extensions?.code;
  if (typeof code === 'string' && OWN_CODES.has(code)) return false;
  return !(code === 'BAD_USER_INPUT' && typeof error.extensions?.field === 'string');
}

/** The error as it may leave the service: its message scrubbed when it may repeat the request's text. */
export function scrubError<E extends GraphQLFormattedError>(error: E, inputs: () => readonly string[]): E {
  return mayEchoInput(error) ? { ...error, message: scrubEchoes(error.message, inputs()) } : error;
}

/** The request's inputs, worked out on first use only: a request without errors never pays for them. */
export function lazyInputs(request: RequestText, schema?: GraphQLSchema): () => readonly string[] {
  let inputs: string[] | undefined;
  return () => (inputs ??= inputsOf(request, schema));
}

/** Scrubs each error of an answer that may repeat the request's text, in place (the gateway's pipeline stage). */
export function scrubAnswerErrors(
  answer: { errors?: readonly GraphQLFormattedError[] },
  request: RequestText,
  schema?: GraphQLSchema,
): void {
  if (!answer.errors?.length) return;
  const inputs = lazyInputs(request, schema);
  (answer as { errors: GraphQLFormattedError[] }).errors = answer.errors.map((e) => scrubError(e, inputs));
}

/** Applies the scrub to every error of an Apollo Server response. */
export function echoScrubPlugin<T extends BaseContext>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response, schema }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors?.length) return;
          const inputs = lazyInputs(request, schema);
          response.body.singleResult.errors = response.body.singleResult.errors.map((e) => scrubError(e, inputs));
        },
      };
    },
  };
}
