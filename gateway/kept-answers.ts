/**
 * Whole answers kept by the gateway, served again while nothing they were read from has changed.
 *
 * A dashboard asks the same statistics of the same district again and again, and most of each answer's cost is the
 * federation itself (joining ~400 institutions across three subgraphs), not the subgraphs' reads. An answer is kept
 * only when:
 * - the operation is a query and every field it selects is in KEPT_FIELDS below: fields whose value is a function of
 *   the arguments, the caller and one subgraph's *generation* (kit/generation.ts), a number every write of their
 *   data raises in the writing transaction. None of them is party data (test/gateway-kept-answers.test.ts checks
 *   that against the schema's `@pii` marks), so no grant, audit record or redaction depends on when it is asked;
 * - the generations of the subgraphs those fields come from were read *before* the operation ran, so the answer
 *   reflects at least those generations: if a write landed meanwhile, the generation moved on and the answer is
 *   never served again;
 * - the answer has no error, and the clock does not pass the instant a subgraph said its figures stop holding
 *   (the cases subgraph's `extensions.validUntil`: overdue counts move when a due time passes).
 * It is served again only to the same principal (subject, role and organisation), for the same query text,
 * operation, variables and content type, and only after the generations it was kept under are read again, from
 * the subgraphs, and found unchanged: a kept answer is never older than the last write.
 * The store is bounded in bytes, oldest first out, and an answer is kept five minutes at most: a generation only
 * counts writes, so a store restored from a backup could count its way back to a number an answer was kept under.
 */
import {
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { ReadyAnswer } from '../kit/graphql-response.js';
import type { HubConfig } from '../kit/config.js';
import type { Principal } from '../kit/principal.js';
import type { Stage } from './pipeline.js';

export type SubgraphName = keyof HubConfig['subgraphUrls'];

/**
 * The fields whose answers may be kept, and the subgraph whose generation covers each (`Type.*`: every field of the
 * type). Each is read from data that only writes raising that generation change:
 * - institutions: the registry's rows and categories, written only when a change request is approved;
 * - cases: the statistics cube and its running limits, written with every case change;
 * - referrals: the referrals, written with every referral request and move.
 */
export const KEPT_FIELDS: Readonly<Record<string, SubgraphName>> = {
  'Query.institutions': 'institutions',
  'InstitutionConnection.*': 'institutions',
  'InstitutionEdge.*': 'institutions',
  'PageInfo.*': 'institutions',
  'Institution.id': 'institutions',
  'Institution.name': 'institutions',
  'Institution.kind': 'institutions',
  'Institution.status': 'institutions',
  'Institution.district': 'institutions',
  'Institution.districtName': 'institutions',
  'Institution.categories': 'institutions',
  'Institution.supervisingUnit': 'institutions',
  'Query.caseStats': 'cases',
  'Institution.caseStats': 'cases',
  'CaseStatsRow.*': 'cases',
  'Rate.*': 'cases',
  'TargetCheck.*': 'cases',
  'Institution.referralStats': 'referrals',
  'ReferralStats.*': 'referrals',
  'ResultCount.*': 'referrals',
};

/** The subgraphs whose generations an operation's answer depends on, or null when it may not be kept. */
export function keptPlan(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): SubgraphName[] | null {
  if (operation.operation !== 'query') return null;
  const subgraphs = new Set<SubgraphName>();
  let keepable = true;
  const typeInfo = new TypeInfo(schema);
  // Every definition of the document, fragments included (validation refused unused ones): a field anywhere in it
  // that is not kept makes the whole answer unkept.
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (node.name.value === '__typename') return;
        const parent = typeInfo.getParentType()?.name;
        const subgraph = parent
          ? (KEPT_FIELDS[`${parent}.${node.name.value}`] ?? KEPT_FIELDS[`${parent}.*`])
          : undefined;
        if (subgraph) subgraphs.add(subgraph);
        else keepable = false;
      },
    }),
  );
  return keepable && subgraphs.size > 0 ? [...subgraphs].sort() : null;
}

interface KeptAnswer {
  response: ReadyAnswer;
  subgraphs: SubgraphName[];
  generations: number[];
  validUntil: number;
  bytes: number;
}

export interface KeptAnswersOptions {
  /** Reads a subgraph's generation now, as the principal. */
  generationOf(subgraph: SubgraphName, principal: Principal): Promise<number>;
  now(): number;
  maxBytes?: number;
  /** The longest an answer is kept, whatever the generations say. */
  maxAgeMs?: number;
}

export class KeptAnswers {
  private readonly plans = new WeakMap<DocumentNode, Map<OperationDefinitionNode, SubgraphName[] | null>>();
  private readonly answers = new Map<string, KeptAnswer>();
  private bytes = 0;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;

  constructor(private readonly options: KeptAnswersOptions) {
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    this.maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  }

  /** keptPlan, worked out once per document and operation. */
  plan(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): SubgraphName[] | null {
    let byOperation = this.plans.get(document);
    if (!byOperation) this.plans.set(document, (byOperation = new Map()));
    if (!byOperation.has(operation)) byOperation.set(operation, keptPlan(schema, document, operation));
    return byOperation.get(operation)!;
  }

  static key(
    principal: Principal,
    queryHash: string,
    operationName: string | null,
    variables: unknown,
    contentType: string,
  ): string {
    return JSON.stringify([
      principal.sub,
      principal.role,
      principal.org ?? null,
      queryHash,
      operationName,
      variables ?? null,
      contentType,
    ]);
  }

  /** The subgraphs' generations now, in the plan's order. */
  generations(subgraphs: readonly SubgraphName[], principal: Principal): Promise<number[]> {
    return Promise.all(subgraphs.map((s) => this.options.generationOf(s, principal)));
  }

  /** The answer kept under `key`, if its figures still hold and no generation it was kept under has moved. */
  async lookup(key: string, principal: Principal): Promise<ReadyAnswer | null> {
    const kept = this.answers.get(key);
    if (!kept) return null;
    if (this.options.now() >= kept.validUntil) {
      this.drop(key, kept);
      return null;
    }
    const now = await this.generations(kept.subgraphs, principal);
    if (now.some((generation, i) => generation !== kept.generations[i])) {
      if (this.answers.get(key) === kept) this.drop(key, kept);
      return null;
    }
    return kept.response;
  }

  /** Keeps an answer computed after the generations `before` were read (see the header for when it is kept). */
  keep(key: string, response: ReadyAnswer, subgraphs: SubgraphName[], before: number[], validUntil: number): void {
    if (response.status !== 200 || this.options.now() >= validUntil) return;
    const bytes = (response.body.length + key.length) * 2;
    if (bytes > this.maxBytes / 4) return;
    const earlier = this.answers.get(key);
    if (earlier) this.drop(key, earlier);
    this.answers.set(key, {
      response,
      subgraphs,
      generations: before,
      validUntil: Math.min(validUntil, this.options.now() + this.maxAgeMs),
      bytes,
    });
    this.bytes += bytes;
    for (const [oldest, answer] of this.answers) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(oldest, answer);
    }
  }

  private drop(key: string, answer: KeptAnswer): void {
    this.answers.delete(key);
    this.bytes -= answer.bytes;
  }
}

/** What the kept-answers stage knows of one request between its steps. */
interface KeptRequest {
  key: string;
  subgraphs: SubgraphName[];
  generations: number[] | null;
  failed: boolean;
}

/**
 * Kept answers as the pipeline's stage, on both request paths: the last operation stage serves a kept answer or
 * reads the generations, the result stage notes an answer with errors, and the sent stage keeps a clean one.
 */
export function keptAnswersStage<
  TContext extends { principal: Principal; logger: { warn(o: object, m: string): void }; validUntil?: number },
>(kept: KeptAnswers): Stage<TContext> {
  const requests = new WeakMap<object, KeptRequest>();
  return {
    name: 'kept answers',
    async operation({
      schema,
      document,
      operation,
      operationName,
      queryHash,
      variables,
      params,
      context,
      contentType,
    }) {
      const subgraphs = operation ? kept.plan(schema, document, operation) : null;
      if (!subgraphs) return;
      const key = KeptAnswers.key(
        context.principal,
        queryHash,
        operationName,
        params.variables ?? variables,
        contentType,
      );
      const request: KeptRequest = { key, subgraphs, generations: null, failed: false };
      requests.set(context as object, request);
      try {
        const answer = await kept.lookup(key, context.principal);
        if (answer) return answer;
        request.generations = await kept.generations(subgraphs, context.principal);
      } catch (error) {
        // A subgraph that cannot tell its generation: the answer is computed as usual, and not kept.
        context.logger.warn({ err: { message: (error as Error).message } }, 'kept answers: generation unavailable');
      }
      return undefined;
    },
    result({ operation: facts, answer }) {
      const request = facts && requests.get(facts.context as object);
      if (request && answer.errors?.length) request.failed = true;
    },
    sent({ context }, response) {
      const request = requests.get(context as object);
      if (!request?.generations || request.failed) return;
      kept.keep(request.key, response, request.subgraphs, request.generations, context.validUntil ?? Infinity);
    },
  };
}
