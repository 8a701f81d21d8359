/**
 * What a client may learn from an error: ours (they carry a known `extensions.code`) and graphql-js's own
 * (syntax, validation) pass through; anything unexpected (a SQL failure, a bug) becomes a plain internal
 * error, logged in full on the server only.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { ErrorCode } from './errors.js';
import { knownName, scrubForLog } from './echo-scrub.js';
import type { Logger } from './log.js';

const KNOWN_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

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
export function loggableError(error: unknown, inputs: readonly string[] = []): Record<string, unknown> {
  const e = (error as { originalError?: unknown })?.originalError ?? error;
  if (!(e instanceof Error)) return { message: scrubForLog(String(e).slice(0, 200), inputs) };
  const message = e.message.includes(' - ') ? e.message.slice(e.message.lastIndexOf(' - ') + 3) : e.message;
  const frames = e.stack
    ?.split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .slice(0, 8)
    .join('\n');
  // The message is scrubbed before it is cut, so a cut cannot leave half a quoted value.
  return {
    name: e.name,
    code: (e as { code?: unknown }).code,
    message: scrubForLog(message, inputs).slice(0, 300),
    stack: frames,
  };
}

/** The logger of the request each error arose in: Apollo Server's formatError is told the error, not the request. */
const requestLoggers = new WeakMap<object, Logger>();

/** Lets the formatter log an error of Apollo Server's pipeline with its request's logger (its `requestId`). */
export function requestLoggerPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ contextValue }) {
      const logger = (contextValue as { logger?: Logger }).logger;
      if (!logger) return;
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) requestLoggers.set(error, logger);
        },
      };
    },
  };
}

/**
 * The service's error formatter. `schema` (a subgraph's own) lets the log name a response path by the schema's
 * field names only (aliases are request text); `inputs`, where the caller knows the request, scrubs its text too;
 * `log`, the request's logger, where the caller has it (else the one `requestLoggerPlugin` noted, else the service's).
 */
export function errorFormatter(logger: Logger, schema?: GraphQLSchema) {
  return (
    formatted: GraphQLFormattedError,
    error: unknown,
    inputs?: () => readonly string[],
    log?: Logger,
  ): GraphQLFormattedError => {
    if (isExposable(formatted, error)) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const path = schema
      ? formatted.path?.map((key) => (typeof key === 'number' || knownName(schema, key) ? key : '<alias>'))
      : formatted.path;
    const target =
      log ?? (typeof error === 'object' && error !== null ? requestLoggers.get(error) : undefined) ?? logger;
    const subgraph = formatted.extensions?.serviceName;
    // A subgraph's own internal error reaches the gateway as one: the subgraph logged it, with its stack.
    if (typeof subgraph === 'string' && formatted.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR)
      target.warn({ subgraph, path }, 'a subgraph answered an internal error');
    else target.error({ err: loggableError(error, inputs?.()), path }, 'unexpected error');
    return {
      message: 'internal error',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
