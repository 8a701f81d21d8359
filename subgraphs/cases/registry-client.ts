/**
 * The cases subgraph's one question to the institutions registry: may this case be dispatched to this
 * institution now? It asks the institutions subgraph directly with the caller's own internal token, so the
 * registry decides for the same principal; the registry's answer is serialized with suspensions and closures.
 */
import { GraphQLError } from 'graphql';
import { hubError, ErrorCode } from '../../kit/errors.js';
import { REQUEST_ID_HEADER } from '../../kit/http.js';

export interface DispatchPermit {
  institutionId: string;
  supervisingUnitId: string;
  grantedAt: string;
}

const RESERVE = `mutation($institutionId: ID!, $caseId: ID!) { reserveDispatch(institutionId: $institutionId, caseId: $caseId) { institutionId supervisingUnitId grantedAt } }`;

export function registryClient(institutionsUrl: string) {
  return async function reserveDispatch(institutionId: string, caseId: string, authorization: string, requestId: string): Promise<DispatchPermit> {
    let body: { data?: { reserveDispatch?: DispatchPermit }; errors?: { message: string; extensions?: Record<string, unknown> }[] };
    try {
      const response = await fetch(institutionsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization, [REQUEST_ID_HEADER]: requestId },
        body: JSON.stringify({ query: RESERVE, variables: { institutionId, caseId } }),
        signal: AbortSignal.timeout(5000),
      });
      body = await response.json() as typeof body;
    } catch (error) {
      throw hubError(ErrorCode.INTERNAL_SERVER_ERROR, `the institutions registry could not be reached: ${(error as Error).message}`);
    }
    const refusal = body.errors?.[0];
    // The registry's own refusal (forbidden, not found, not active) is passed on as it was given.
    if (refusal) throw new GraphQLError(refusal.message, { extensions: refusal.extensions });
    if (!body.data?.reserveDispatch) throw hubError(ErrorCode.INTERNAL_SERVER_ERROR, 'the institutions registry gave no dispatch permit');
    return body.data.reserveDispatch;
  };
}

export type ReserveDispatch = ReturnType<typeof registryClient>;
