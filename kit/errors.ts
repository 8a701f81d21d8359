/**
 * Every error code the hub returns, in one table (as mercurius keeps lib/errors.js).
 * Clients branch on `extensions.code`; the message names exactly what was wrong.
 */
import { GraphQLError } from 'graphql';

export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_TRANSITION: 'INVALID_TRANSITION',
  /** The target institution is suspended, closed or pending: it takes no new cases or referrals. */
  INSTITUTION_NOT_ACTIVE: 'INSTITUTION_NOT_ACTIVE',
  /** The request itself is malformed: e.g. it names no operation of a document holding several. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** An operation or request over one of the gateway's limits (gateway/limits.ts): `extensions.limit` names it, `extensions.max` its value. */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** The request body is larger than the limit (HTTP 413). */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The principal's request budget is spent: `extensions.retryAfter` seconds (HTTP 429, `Retry-After`). */
  RATE_LIMITED: 'RATE_LIMITED',
  /** An automatic persisted query the gateway does not hold: send the query text with its hash once. */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** Trusted-documents mode: only registered operations, by hash, are served. */
  TRUSTED_DOCUMENT_REQUIRED: 'TRUSTED_DOCUMENT_REQUIRED',
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /**
   * A subgraph did not answer (timed out, unreachable, its circuit open, or too many calls to it stuck):
   * `extensions.subgraph` names it, and only the fields it contributes are null.
   */
  SUBGRAPH_UNAVAILABLE: 'SUBGRAPH_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status that goes with a code when the error stops the whole request. */
const httpStatus: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_TRANSITION: 409,
  INSTITUTION_NOT_ACTIVE: 409,
  BAD_REQUEST: 400,
  LIMIT_EXCEEDED: 400,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  PERSISTED_QUERY_NOT_FOUND: 200,
  TRUSTED_DOCUMENT_REQUIRED: 400,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  SUBGRAPH_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
};

// Only the named factories below make errors: each call site says what went wrong, the factory how it is coded.
function hubError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

/** The same error, carrying the HTTP status Apollo Server should answer with when it aborts the request. */
function hubRequestError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra, http: { status: httpStatus[code] } } });
}

export const unauthenticated = (why: string) => hubRequestError(ErrorCode.UNAUTHENTICATED, why);
/** A field outside the public directory, asked without a token. */
export const tokenRequired = (coordinate: string) =>
  hubError(
    ErrorCode.UNAUTHENTICATED,
    `${coordinate} needs a token: without one only the public directory of institutions is served`,
  );
export const forbidden = (why: string) => hubError(ErrorCode.FORBIDDEN, why);
/** A search by party data (a filter marked `@pii`) by a principal without clearance for its category. */
export const clearanceRequired = (coordinate: string, category: string) =>
  hubRequestError(
    ErrorCode.FORBIDDEN,
    `${coordinate}: searching by party data needs clearance for ${category} (a consent grant, or handling the case)`,
  );
/** The request itself is malformed (not its operation's input): names what is wrong with it. */
export const badRequest = (why: string) => hubRequestError(ErrorCode.BAD_REQUEST, why);
/** Bad input always names the field (an argument path such as `filter.district` or `after`). */
export const badInput = (field: string, why: string) =>
  hubError(ErrorCode.BAD_USER_INPUT, `${field}: ${why}`, { field });
export const notFound = (what: string) => hubError(ErrorCode.NOT_FOUND, `${what} not found`);
/** A change sent with `expectedVersion` the record has left: `extensions.currentVersion` is where it is now. */
export const staleVersion = (record: string, current: number, expected: number) =>
  hubError(ErrorCode.CONFLICT, `the ${record} is at version ${current}, not ${expected}: read it again and retry`, {
    currentVersion: current,
  });
/** The record changed between its read and its write in one transaction. */
export const changedMeanwhile = (record: string) =>
  hubError(ErrorCode.CONFLICT, `the ${record} changed meanwhile: read it again and retry`);
/** Any other conflict with the state of the store: `why` says with what, and what to do. */
export const conflict = (why: string, extra: Record<string, unknown> = {}) => hubError(ErrorCode.CONFLICT, why, extra);
/** A move the record's state does not allow: `extensions.currentStatus` and `extensions.attempted` name both. */
export const invalidTransition = (currentStatus: string, attempted: string, why: string) =>
  hubError(ErrorCode.INVALID_TRANSITION, why, { currentStatus, attempted });
/** A move of a `record` in state `current` that `mutation` makes only from `allowed`. */
export const moveNotAllowed = (
  record: string,
  current: string,
  action: string,
  mutation: string,
  allowed: readonly string[],
) =>
  invalidTransition(
    current,
    action,
    `cannot ${action.toLowerCase().replaceAll('_', ' ')} a ${record} that is ${current} (${mutation} needs ${allowed.join(' or ')})`,
  );
/** A suspended, closed or pending institution asked to take a case or referral. */
export const institutionNotActive = (institutionId: string, status: string) =>
  hubError(
    ErrorCode.INSTITUTION_NOT_ACTIVE,
    `institution ${institutionId} is ${status}: only an ACTIVE institution takes new cases`,
    { institutionStatus: status },
  );
/** Something the hub itself got wrong or could not do (another office's answer missing): never the caller's input. */
export const internalError = (why: string) => hubError(ErrorCode.INTERNAL_SERVER_ERROR, why);
/**
 * Consent's four-eyes rule refused the step (subgraphs/cases/privacy/grants.ts): a steward granting to itself, or
 * approving a grant it gave or receives. `extensions.rule` is FOUR_EYES, so a client tells it from a missing role.
 */
export const fourEyesRefused = (why: string) => hubError(ErrorCode.FORBIDDEN, why, { rule: 'FOUR_EYES' });
/** One of the gateway's limits (gateway/limits.ts), named with its value; never what the request held. */
export const limitExceeded = (limit: string, max: number, what: string) =>
  hubRequestError(ErrorCode.LIMIT_EXCEEDED, `${what}: the limit '${limit}' is ${max}`, { limit, max });
export const payloadTooLarge = (max: number) =>
  hubRequestError(ErrorCode.PAYLOAD_TOO_LARGE, `request body is larger than the limit 'bodyBytes' of ${max} bytes`, {
    limit: 'bodyBytes',
    max,
  });
export const rateLimited = (retryAfter: number) =>
  new GraphQLError(`too many requests: try again in ${retryAfter} s`, {
    extensions: {
      code: ErrorCode.RATE_LIMITED,
      retryAfter,
      http: { status: httpStatus.RATE_LIMITED, headers: { 'retry-after': String(retryAfter) } },
    },
  });
/** The message is the one Apollo clients look for before they send the query text with its hash. */
export const persistedQueryNotFound = () =>
  hubRequestError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, 'PersistedQueryNotFound');
export const trustedDocumentRequired = (why: string) => hubRequestError(ErrorCode.TRUSTED_DOCUMENT_REQUIRED, why);
export const parseFailed = (message: string) => hubRequestError(ErrorCode.GRAPHQL_PARSE_FAILED, message);
/** A subgraph gave no answer; `why` says how (no secret, no input: a timeout, a refused connection, an open circuit). */
export const subgraphUnavailable = (subgraph: string, why: string) =>
  hubError(ErrorCode.SUBGRAPH_UNAVAILABLE, `the ${subgraph} subgraph is unavailable: ${why}`, { subgraph });

/** The JSON body a non-GraphQL layer (an HTTP hook) answers with, in the GraphQL response shape. */
export function errorBody(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] });
}
export function statusFor(code: ErrorCode): number {
  return httpStatus[code];
}
