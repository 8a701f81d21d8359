/**
 * What a client may learn from an error: ours (they carry a known `extensions.code`) and graphql-js's own
 * (syntax, validation) pass through; anything unexpected (a SQL failure, a bug) becomes a plain internal
 * error, logged in full on the server only.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode } from './errors.js';
import type { Logger } from './log.js';

const KNOWN_CODES = new Set<string>([...Object.values(ErrorCode), 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

function isExposable(formatted: GraphQLFormattedError, error: unknown): boolean {
  const code = formatted.extensions?.code;
  if (code === ErrorCode.INTERNAL_SERVER_ERROR) return false;
  if (typeof code === 'string') return KNOWN_CODES.has(code);
  // graphql-js's own errors (validation, coercion) have no original error behind them.
  return error instanceof GraphQLError && !error.originalError;
}

/**
 * What of an unexpected error goes to the log: its kind, code and the driver's own message, never the SQL statement
 * with its bound values (knex puts it in front of the message) nor a driver's detail (PostgreSQL repeats key values).
 */
export function loggableError(error: unknown): Record<string, unknown> {
  const e = (error as { originalError?: unknown })?.originalError ?? error;
  if (!(e instanceof Error)) return { message: String(e).slice(0, 200) };
  const message = e.message.includes(' - ') ? e.message.slice(e.message.lastIndexOf(' - ') + 3) : e.message;
  const frames = e.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, 8).join('\n');
  return { name: e.name, code: (e as { code?: unknown }).code, message: message.slice(0, 300), stack: frames };
}

export function errorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    if (isExposable(formatted, error)) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: loggableError(error), path: formatted.path }, 'unexpected error');
    return { message: 'internal error', path: formatted.path, locations: formatted.locations, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}
