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
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import { clearanceRequired } from '../kit/errors.js';
import type { Logger } from '../kit/log.js';
import { handlesCases, type PiiCategory } from '../kit/privacy.js';
import type { Principal } from '../kit/principal.js';
import { applyPlan, operationPrivacy, type OperationPrivacy, type RedactionPlan } from './redaction-plan.js';
import type { OperationFacts, Stage } from './pipeline.js';

export interface RedactionContext {
  principal: Principal;
  requestId: string;
  logger: Logger;
  /** Filled here: the client's operation, sent on to subgraphs for their audit records. */
  operation?: { name: string | null; documentHash: string };
  /** Values withheld by subgraphs (their `extensions.redaction`), added up by the data sources. */
  withheldBySubgraphs?: Map<string, number>;
  /**
   * Set by `admit` for a principal who sees party data only through grants: what to null, and what is cleared (read
   * while the operation runs when nothing can be refused; an empty set if the read failed).
   */
  redaction?: { plan: RedactionPlan; cleared: Promise<Set<PiiCategory>> };
}

export interface PrivacyOffice {
  /** The categories the principal's consent grants name now. */
  grantedCategories(principal: Principal, requestId: string): Promise<Set<PiiCategory>>;
  /** Writes a refused request to the audit log. */
  recordRefusal(
    principal: Principal,
    requestId: string,
    refusal: { operation: string | null; documentHash: string; categories: PiiCategory[]; detail: string },
  ): Promise<void>;
}

/** Adds a subgraph's `extensions.redaction.withheld` counts to the request's. */
export function addSubgraphRedaction(context: RedactionContext, extensions: Record<string, unknown> | undefined): void {
  const withheld = (extensions?.redaction as { withheld?: Record<string, number> } | undefined)?.withheld;
  if (!withheld) return;
  context.withheldBySubgraphs ??= new Map();
  for (const [category, n] of Object.entries(withheld)) {
    if (typeof n === 'number')
      context.withheldBySubgraphs.set(category, (context.withheldBySubgraphs.get(category) ?? 0) + n);
  }
}

/** What admission reads of an operation (the pipeline's facts). */
export type AdmitFacts = Pick<
  OperationFacts<unknown>,
  'schema' | 'document' | 'operation' | 'operationName' | 'variables' | 'queryHash'
>;

/**
 * The gateway's redaction as two steps around execution, so every request path runs the same code: `admit` before
 * any subgraph is asked (refuses a party-data search without clearance, reads the principal's grants), `finish` on
 * the result (nulls what the principal may not see, reports what was withheld). When the operation filters by no
 * party data, nothing can be refused: the grants are then read alongside the operation and awaited in `finish`,
 * rather than before it (one wait less at the cases subgraph, which answers both). A grants read that fails clears
 * nothing: every marked value is nulled. `stage` runs `admit` in the gateway's pipeline; `finish` is one of its
 * response hooks (gateway/response-hooks.ts): both on both request paths.
 */
export function gatewayRedaction(pii: Map<string, PiiCategory>, office: PrivacyOffice, enforce: boolean) {
  // Plans are per document (one parsed document per query text), never per principal or response.
  const plans = new WeakMap<DocumentNode, Map<string, OperationPrivacy>>();

  function privacyOf(facts: AdmitFacts & { operation: OperationDefinitionNode }): OperationPrivacy {
    let perOperation = plans.get(facts.document);
    if (!perOperation) plans.set(facts.document, (perOperation = new Map()));
    let privacy = perOperation.get(facts.operationName ?? '');
    if (!privacy)
      perOperation.set(
        facts.operationName ?? '',
        (privacy = operationPrivacy(facts.schema, facts.document, facts.operation, pii)),
      );
    return privacy;
  }

  async function admit(context: RedactionContext, facts: AdmitFacts): Promise<void> {
    context.operation = { name: facts.operationName, documentHash: facts.queryHash };
    const { operation } = facts;
    if (!enforce || !operation || handlesCases(context.principal.role)) return;
    const privacy = privacyOf({ ...facts, operation });
    const inputs = privacy.inputs(facts.variables);
    if (privacy.plan.size === 0 && inputs.size === 0) return;
    const reading = office.grantedCategories(context.principal, context.requestId);
    if (inputs.size === 0) {
      // Fail closed: without the grants, no category is cleared (the failure is logged, not answered as an error).
      const cleared = reading.catch((error: Error) => {
        context.logger.error(
          { err: { name: error.name, message: error.message } },
          'could not read consent grants: every party-data value withheld',
        );
        return new Set<PiiCategory>();
      });
      context.redaction = { plan: privacy.plan, cleared };
      return;
    }
    // A search by party data is refused before any subgraph is asked, so its grants must be known first (a failed
    // read fails the request).
    const granted = await reading;
    context.redaction = { plan: privacy.plan, cleared: Promise.resolve(granted) };
    const refused = [...inputs].filter(([, category]) => !granted.has(category));
    if (refused.length) {
      const [coordinate, category] = refused[0]!;
      await office
        .recordRefusal(context.principal, context.requestId, {
          operation: facts.operationName,
          documentHash: facts.queryHash,
          categories: [...new Set(refused.map(([, c]) => c))],
          detail: `filter ${refused.map(([c]) => c).join(', ')}`,
        })
        .catch((error: Error) =>
          context.logger.error({ err: { name: error.name } }, 'could not audit a refused search'),
        );
      throw clearanceRequired(coordinate, category);
    }
  }

  async function finish(
    context: RedactionContext,
    result: { data?: Record<string, unknown> | null; extensions?: Record<string, unknown> },
  ): Promise<void> {
    const counts = new Map<string, number>(context.withheldBySubgraphs ?? []);
    const redaction = context.redaction;
    if (redaction && result.data) {
      const cleared = await redaction.cleared;
      const here = applyPlan(result.data, redaction.plan, (category) => !cleared.has(category));
      for (const [category, n] of here) {
        counts.set(category, (counts.get(category) ?? 0) + n);
        // The owning subgraph should have withheld these already: say so, without the values.
        context.logger.warn({ category, values: n }, 'gateway withheld party data a subgraph sent in clear');
      }
    }
    if (counts.size)
      result.extensions = { ...result.extensions, redaction: { withheld: Object.fromEntries([...counts].sort()) } };
  }

  /** `admit` as the pipeline's stage, on both request paths. */
  function stage<TContext extends RedactionContext>(): Stage<TContext> {
    return {
      name: 'redaction admission',
      operation: (facts) => admit(facts.context, facts),
    };
  }

  return { admit, finish, stage };
}
