/**
 * The gateway's own enforcement of the privacy rule, read from the supergraph's `@pii` directives: a second line
 * behind the subgraph that owns the data, so a bug in one subgraph alone does not leak.
 * - A principal whose role handles cases (CLEAR_ACCESS in kit/privacy.ts) is decided per record by the subgraph.
 * - Every other principal sees a category only where a consent grant names it; everything else marked `@pii` is
 *   nulled in the response, whatever the subgraph sent.
 * - Filtering by a `@pii` input field without clearance is refused with FORBIDDEN before any subgraph is asked, and
 *   the refusal is written to the audit log.
 * `extensions.redaction` reports what was withheld, by the subgraphs and here.
 */
import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode } from 'graphql';
import { ErrorCode, hubRequestError } from '../kit/errors.js';
import type { Logger } from '../kit/log.js';
import { handlesCases, type PiiCategory } from '../kit/privacy.js';
import type { Principal } from '../kit/principal.js';
import { applyPlan, operationPrivacy, type OperationPrivacy } from './redaction-plan.js';

export interface RedactionContext {
  principal: Principal;
  requestId: string;
  logger: Logger;
  /** Filled here: the client's operation, sent on to subgraphs for their audit records. */
  operation?: { name: string | null; documentHash: string };
  /** Values withheld by subgraphs (their `extensions.redaction`), added up by the data sources. */
  withheldBySubgraphs?: Map<string, number>;
}

export interface PrivacyOffice {
  /** The categories the principal's consent grants name now. */
  grantedCategories(principal: Principal, requestId: string): Promise<Set<PiiCategory>>;
  /** Writes a refused request to the audit log. */
  recordRefusal(principal: Principal, requestId: string, refusal: { operation: string | null; documentHash: string; categories: PiiCategory[]; detail: string }): Promise<void>;
}

/** Adds a subgraph's `extensions.redaction.withheld` counts to the request's. */
export function addSubgraphRedaction(context: RedactionContext, extensions: Record<string, unknown> | undefined): void {
  const withheld = (extensions?.redaction as { withheld?: Record<string, number> } | undefined)?.withheld;
  if (!withheld) return;
  context.withheldBySubgraphs ??= new Map();
  for (const [category, n] of Object.entries(withheld)) {
    if (typeof n === 'number') context.withheldBySubgraphs.set(category, (context.withheldBySubgraphs.get(category) ?? 0) + n);
  }
}

export function redactionPlugin(pii: Map<string, PiiCategory>, office: PrivacyOffice, enforce: boolean): ApolloServerPlugin<RedactionContext> {
  // Plans are per document (Apollo keeps one parsed document per query string), never per principal or response.
  const plans = new WeakMap<DocumentNode, Map<string, OperationPrivacy>>();

  return {
    async requestDidStart() {
      let privacy: OperationPrivacy | undefined;
      let cleared: Set<PiiCategory> | undefined;
      return {
        async didResolveOperation({ contextValue, schema, document, operation, operationName, queryHash, request }) {
          contextValue.operation = { name: operationName ?? null, documentHash: queryHash ?? createHash('sha256').update(request.query ?? '').digest('hex') };
          if (!enforce || !operation || handlesCases(contextValue.principal.role)) return;
          let perOperation = plans.get(document);
          if (!perOperation) plans.set(document, (perOperation = new Map()));
          const key = operationName ?? '';
          privacy = perOperation.get(key);
          if (!privacy) perOperation.set(key, (privacy = operationPrivacy(schema, document, operation, pii)));

          const inputs = privacy.inputs(request.variables ?? {});
          if (privacy.plan.size === 0 && inputs.size === 0) return;
          cleared = await office.grantedCategories(contextValue.principal, contextValue.requestId);
          const refused = [...inputs].filter(([, category]) => !cleared!.has(category));
          if (refused.length) {
            const [coordinate, category] = refused[0]!;
            const categories = [...new Set(refused.map(([, c]) => c))];
            await office.recordRefusal(contextValue.principal, contextValue.requestId, {
              operation: contextValue.operation.name, documentHash: contextValue.operation.documentHash, categories,
              detail: `filter ${refused.map(([c]) => c).join(', ')}`,
            }).catch((error: Error) => contextValue.logger.error({ err: { name: error.name } }, 'could not audit a refused search'));
            throw hubRequestError(ErrorCode.FORBIDDEN, `${coordinate}: searching by party data needs clearance for ${category} (a consent grant, or handling the case)`);
          }
        },
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const counts = new Map<string, number>(contextValue.withheldBySubgraphs ?? []);
          if (privacy?.plan.size && cleared && result.data) {
            const here = applyPlan(result.data, privacy.plan, (category) => !cleared!.has(category));
            for (const [category, n] of here) {
              counts.set(category, (counts.get(category) ?? 0) + n);
              // The owning subgraph should have withheld these already: say so, without the values.
              contextValue.logger.warn({ category, values: n }, 'gateway withheld party data a subgraph sent in clear');
            }
          }
          if (counts.size) result.extensions = { ...result.extensions, redaction: { withheld: Object.fromEntries([...counts].sort()) } };
        },
      };
    },
  };
}
