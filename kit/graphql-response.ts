/**
 * A GraphQL execution result turned into the HTTP answer Apollo Server would give for it, for the lean request
 * paths (the lean path, gateway/lean-path.ts): errors normalised as Apollo does (a `code` on every error, an `extensions.http`
 * status taken off and applied) and then passed through the service's error formatter; the content type
 * negotiated from Accept; `cache-control: no-store`; the body serialised once.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode } from './errors.js';
import { summarise, type AnswerSummary } from './request-report.js';

export interface ExecutionResultLike {
  data?: Record<string, unknown> | null;
  errors?: readonly unknown[];
  extensions?: Record<string, unknown>;
}

export interface ReadyAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** How the request was served, for its log line: by the lean path (default) or refused before execution. */
  served?: 'lean' | 'refused';
  /** What the answer came to, for the request's log line and count (kit/request-report.ts). */
  summary?: AnswerSummary;
}

export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Apollo Server answers `application/graphql-response+json` only to a client that lists it before plain JSON.
 * Null for anything less plain (quality values, no JSON type at all): the full pipeline negotiates those.
 */
export function responseContentType(accept: string | undefined): string | null {
  if (!accept || accept === '*/*') return JSON_TYPE;
  if (accept.includes(';q=') || accept.includes('; q=')) return null;
  const graphqlResponse = accept.indexOf('application/graphql-response+json');
  const json = accept.indexOf('application/json');
  if (graphqlResponse === -1) return json === -1 && !accept.includes('*/*') ? null : JSON_TYPE;
  return json === -1 || graphqlResponse < json ? GRAPHQL_RESPONSE_JSON : JSON_TYPE;
}

export function formatErrors(
  errors: readonly unknown[],
  formatError: ErrorFormatter,
): { formatted: GraphQLFormattedError[]; status?: number; headers?: Record<string, string> } {
  let status: number | undefined;
  let headers: Record<string, string> | undefined;
  const formatted = errors.map((raw) => {
    const error =
      raw instanceof GraphQLError
        ? raw
        : new GraphQLError(raw instanceof Error ? raw.message : `Unexpected error value: ${String(raw)}`, {
            originalError: raw instanceof Error ? raw : undefined,
          });
    const extensions: Record<string, unknown> = {
      ...error.extensions,
      code: error.extensions.code ?? ErrorCode.INTERNAL_SERVER_ERROR,
    };
    const http = extensions.http as { status?: number; headers?: Record<string, string> } | undefined;
    if (http && typeof http === 'object') {
      if (typeof http.status === 'number') status = http.status;
      if (http.headers && typeof http.headers === 'object') headers = { ...headers, ...http.headers };
      delete extensions.http;
    }
    return formatError({ ...error.toJSON(), extensions }, error);
  });
  return { formatted, status, headers };
}

/** An answer's body as it will be serialised: errors formatted, with the HTTP status their `extensions.http` asked for. */
export interface FormattedResult {
  status: number;
  /** Headers an error asked for (`Retry-After` of a rate-limit refusal). */
  headers?: Record<string, string>;
  body: { errors?: GraphQLFormattedError[]; data?: unknown; extensions?: Record<string, unknown> };
}

export function formatResult(result: ExecutionResultLike, formatError: ErrorFormatter): FormattedResult {
  const body: FormattedResult['body'] = {};
  let status = 200;
  let headers: Record<string, string> | undefined;
  if (result.errors?.length) {
    const errors = formatErrors(result.errors, formatError);
    body.errors = errors.formatted;
    if (errors.status) status = errors.status;
    headers = errors.headers;
  }
  if (result.data !== undefined) body.data = result.data;
  if (result.extensions) body.extensions = result.extensions;
  return { status, headers, body };
}

/** `operationName`: the name of the operation that ran, for the summary. */
export function serialise(
  { status, headers, body }: FormattedResult,
  contentType: string,
  operationName: string | null = null,
): ReadyAnswer {
  return {
    status,
    headers: { 'content-type': contentType, 'cache-control': 'no-store', ...headers },
    body: `${JSON.stringify(body)}\n`,
    summary: summarise(body, operationName),
  };
}

export function graphqlResponse(
  result: ExecutionResultLike,
  formatError: ErrorFormatter,
  contentType: string,
  operationName: string | null = null,
): ReadyAnswer {
  return serialise(formatResult(result, formatError), contentType, operationName);
}
