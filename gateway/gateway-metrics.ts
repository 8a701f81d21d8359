/**
 * The gateway's own metrics, beside every service's (kit/metrics.ts): its subgraph calls (latency, and how each
 * failed: `outcome` is `answered` or an UnavailableReason of gateway/subgraph-health.ts), each subgraph's circuit,
 * the party-data values withheld from answers by category (by the subgraphs and by the gateway, as the answer's
 * `extensions.redaction` reports them) and rate-limit refusals by role. Subgraphs are named by the supergraph,
 * categories and roles by their tables: every label is bounded.
 */
import { Kind, parse } from 'graphql';
import { bounded, type ServiceMetrics } from '../kit/metrics.js';
import { PII_CATEGORIES } from '../kit/privacy.js';
import { PUBLIC_ROLE, ROLES } from '../kit/principal.js';
import type { CircuitName, UnavailableReason } from './subgraph-health.js';
import type { Stage } from './pipeline.js';

const CIRCUIT_NAMES: readonly CircuitName[] = ['closed', 'half_open', 'open'];
const CATEGORIES = new Set<string>(PII_CATEGORIES);
const ROLE_NAMES = new Set<string>([...ROLES, PUBLIC_ROLE]);

/** The names of the operations of trusted documents: counted under their own names. */
export function trustedOperationNames(documents: ReadonlyMap<string, string>): Set<string> {
  const names = new Set<string>();
  for (const text of new Set(documents.values())) {
    try {
      for (const definition of parse(text).definitions)
        if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.add(definition.name.value);
    } catch {
      // A manifest's document that does not parse is refused when it is asked for; it names nothing here.
    }
  }
  return names;
}

export function gatewayMetrics(
  metrics: ServiceMetrics,
  circuits: () => Iterable<[string, { readonly circuit: CircuitName }]>,
) {
  const calls = metrics.histogram(
    'jiefen_subgraph_call_duration_seconds',
    'Gateway calls to a subgraph, by outcome (answered, or why there was no answer), retries and queueing included',
    ['subgraph', 'outcome'],
  );
  metrics.gauge(
    'jiefen_subgraph_circuit_state',
    "Each subgraph's circuit breaker: 1 for the state it is in",
    ['subgraph', 'state'],
    (gauge) => {
      for (const [subgraph, client] of circuits())
        for (const state of CIRCUIT_NAMES) gauge.set({ subgraph, state }, client.circuit === state ? 1 : 0);
    },
  );
  const withheld = metrics.counter(
    'jiefen_withheld_values_total',
    'Party-data values withheld from answers (nulled), by category',
    ['category'],
  );
  const refusals = metrics.counter(
    'jiefen_rate_limit_refusals_total',
    'Requests refused for a spent rate limit, by role',
    ['role'],
  );

  return {
    /** The observer of one subgraph's calls (gateway/subgraph-client.ts). */
    subgraphCalls(subgraph: string) {
      return (outcome: 'answered' | UnavailableReason, seconds: number) =>
        calls.observe({ subgraph, outcome }, seconds);
    },
    rateLimited(role: string) {
      refusals.inc({ role: bounded(role, ROLE_NAMES) });
    },
    /** A result stage counting what each answer withheld; it runs after the response hooks, which add the gateway's own. */
    stage<TContext>(): Stage<TContext> {
      return {
        name: 'metrics',
        result({ answer }) {
          const counts = (answer.extensions?.redaction as { withheld?: Record<string, unknown> } | undefined)?.withheld;
          if (!counts) return;
          for (const [category, n] of Object.entries(counts))
            if (typeof n === 'number' && n > 0) withheld.inc({ category: bounded(category, CATEGORIES) }, n);
        },
      };
    },
  };
}
