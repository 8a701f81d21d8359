/**
 * The cases subgraph's one question to the institutions registry: may this case be dispatched to this
 * institution now? It asks with the caller's own internal token, so the registry decides for the same principal;
 * the registry's answer is serialized with suspensions and closures.
 */
import { internalError } from '../../kit/errors.js';
import { officeClient } from '../../kit/office-client.js';

export interface DispatchPermit {
  institutionId: string;
  supervisingUnitId: string;
  grantedAt: string;
}

const RESERVE = `mutation($institutionId: ID!, $caseId: ID!) { reserveDispatch(institutionId: $institutionId, caseId: $caseId) { institutionId supervisingUnitId grantedAt } }`;

export function registryClient(institutionsUrl: string) {
  const ask = officeClient('institutions', institutionsUrl);
  return async function reserveDispatch(
    institutionId: string,
    caseId: string,
    authorization: string,
    requestId: string,
  ): Promise<DispatchPermit> {
    const data = await ask<{ reserveDispatch?: DispatchPermit | null }>(
      RESERVE,
      { institutionId, caseId },
      { authorization, requestId },
    );
    if (!data.reserveDispatch) throw internalError('the institutions registry gave no dispatch permit');
    return data.reserveDispatch;
  };
}

export type ReserveDispatch = ReturnType<typeof registryClient>;
