/**
 * One GraphQL call from a subgraph to another subgraph, directly (not through the gateway), with the caller's own
 * internal token and request id passed through: the other office decides for the same principal, and its log
 * lines carry the same request id. An answer with errors is passed on as the other office gave it.
 */
import { GraphQLError } from 'graphql';
import { hubError, ErrorCode } from './errors.js';
import { REQUEST_ID_HEADER } from './http.js';

export interface Passthrough {
  /** The caller's `Authorization` header, as received. */
  authorization: string;
  requestId: string;
}

export async function callSubgraph<T>(url: string, name: string, query: string, variables: Record<string, unknown>, caller: Passthrough): Promise<T> {
  let body: { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: caller.authorization, [REQUEST_ID_HEADER]: caller.requestId },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(5000),
    });
    body = await response.json() as typeof body;
  } catch (error) {
    throw hubError(ErrorCode.INTERNAL_SERVER_ERROR, `the ${name} subgraph could not be reached: ${(error as Error).message}`);
  }
  const refusal = body.errors?.[0];
  if (refusal) throw new GraphQLError(refusal.message, { extensions: refusal.extensions });
  if (!body.data) throw hubError(ErrorCode.INTERNAL_SERVER_ERROR, `the ${name} subgraph gave no data`);
  return body.data;
}
