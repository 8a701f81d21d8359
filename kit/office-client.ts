/**
 * One subgraph asking another over GraphQL, on behalf of the caller: the caller's own internal token is passed on,
 * so the other office decides for the same principal, and the request id follows the call. A refusal from the other
 * subgraph is passed on as it was given; an unreachable subgraph is an internal error naming it. Calls go over a
 * keep-alive connection pool (undici): these calls sit on hot paths (dispatch permits, the gateway's grant check),
 * where `fetch`'s own machinery cost more CPU than the call.
 */
import { Pool } from 'undici';
import { GraphQLError } from 'graphql';
import { internalError } from './errors.js';
import { REQUEST_ID_HEADER } from './http.js';
import type { Caller } from './principal.js';
import { propagate } from './tracing.js';

export function officeClient(name: string, url: string, timeoutMs = 5000) {
  const target = new URL(url);
  const path = target.pathname + target.search;
  let pool: Pool | undefined;
  return async function ask<T>(
    query: string,
    variables: Record<string, unknown>,
    caller: Pick<Caller, 'authorization' | 'requestId'>,
  ): Promise<T> {
    let body: { data?: T | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
    try {
      pool ??= new Pool(target.origin, { connections: 16, keepAliveTimeout: 30_000 });
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        authorization: caller.authorization,
        [REQUEST_ID_HEADER]: caller.requestId,
      };
      propagate(headers);
      const response = await pool.request({
        method: 'POST',
        path,
        headers,
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      body = (await response.body.json()) as typeof body;
    } catch (error) {
      throw internalError(`the ${name} subgraph could not be reached: ${(error as Error).message}`);
    }
    const refusal = body.errors?.[0];
    if (refusal) throw new GraphQLError(refusal.message, { extensions: refusal.extensions });
    if (!body.data) throw internalError(`the ${name} subgraph answered without data`);
    return body.data;
  };
}

export type OfficeClient = ReturnType<typeof officeClient>;
