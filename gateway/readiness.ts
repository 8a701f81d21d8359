/**
 * The gateway's /readyz: ready (200) while it can serve, which is while any subgraph's circuit is closed (`up`, or
 * `degraded`: still called, answering or not); pulling every gateway out of rotation because one office is down
 * would make a partial outage total. Only with every circuit open does it answer 503. The body names each
 * subgraph's state, so a load balancer or an operator sees which office is failing.
 */
import type { SubgraphState } from './subgraph-health.js';

export async function gatewayReadiness(
  subgraphs: ReadonlyMap<string, { state(): Promise<SubgraphState> }>,
): Promise<{ subgraphs: Record<string, SubgraphState> }> {
  const states = Object.fromEntries(
    await Promise.all([...subgraphs].map(async ([name, client]) => [name, await client.state()] as const)),
  );
  if (Object.values(states).every((state) => state === 'open'))
    throw new ReadinessError("every subgraph's circuit is open", { subgraphs: states });
  return { subgraphs: states };
}

/** Not ready, with the details the 503's body carries. */
export class ReadinessError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}
