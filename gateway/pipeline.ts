/**
 * The gateway's request pipeline: every check a GraphQL request passes, as one ordered list of stages (the list
 * itself is `gatewayStages` in gateway/service.ts). Authentication and the body limit come before it, in the HTTP
 * front every service shares (kit/http.ts). Both request paths run the same list:
 * - arrival stages (who asks) run before the body is read, request stages and the document stage for every
 *   request before the path is chosen;
 * - the lean path (gateway/lean-path.ts) calls the operation, result and sent stages itself;
 * - requests only Apollo Server's pipeline serves (GET, introspection, variables that do not coerce) run those same
 *   stages through `pipelinePlugin`.
 * A stage refuses by throwing a GraphQLError; the refusal is answered through the result stages like any answer.
 */
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext } from '@apollo/server';
import type {
  DocumentNode,
  GraphQLError,
  GraphQLFormattedError,
  GraphQLSchema,
  OperationDefinitionNode,
} from 'graphql';
import { DocumentCache, isRefused, type CachedDocument, type PreparedDocument } from '../kit/document-cache.js';
import {
  formatResult,
  responseContentType,
  serialise,
  type ReadyAnswer,
  type FormattedResult,
} from '../kit/graphql-response.js';
import type { GraphQLParams, HandOver, PipelineRequest, RequestInfo } from '../kit/http.js';

export interface RequestFacts {
  method: string;
  /** The request's parameters; a request stage may fill in the query (a persisted document). */
  params: GraphQLParams;
  info: RequestInfo;
}

export interface OperationFacts<TContext> {
  params: GraphQLParams;
  schema: GraphQLSchema;
  document: DocumentNode;
  /** Undefined when the request's operation name picks no operation of the document. */
  operation: OperationDefinitionNode | undefined;
  operationName: string | null;
  variables: Record<string, unknown>;
  /** SHA-256 of the query text. */
  queryHash: string;
  context: TContext;
  /** The content type the answer goes out with. */
  contentType: string;
}

export interface ResultFacts<TContext> {
  params: GraphQLParams;
  /** The API schema the request was read against. */
  schema: GraphQLSchema;
  /** Absent for a request refused before its operation was known. */
  operation?: OperationFacts<TContext>;
  /** The answer as it will be serialised: errors already formatted. */
  answer: FormattedResult['body'];
}

export interface Stage<TContext> {
  readonly name: string;
  /** Before the body is read, knowing only who asks: refuses (rate limits). */
  arrival?(info: RequestInfo): Promise<void> | void;
  /** After a request was refused for what it sent (its body, its document's text): charges its caller (rate limits). */
  refused?(info: RequestInfo): Promise<void> | void;
  /** Before the document is read: refuses, or rewrites the parameters. */
  request?(facts: RequestFacts): Promise<void> | void;
  /** Reads the document: the one stage that parses it, checks its limits and validates it. */
  document?(facts: RequestFacts & { query: string; schema: GraphQLSchema }): PreparedDocument;
  /** The operation known, before anything runs: refuses, or answers at once. */
  operation?(facts: OperationFacts<TContext>): Promise<ReadyAnswer | void> | ReadyAnswer | void;
  /** The answer before it is serialised. */
  result?(facts: ResultFacts<TContext>): Promise<void> | void;
  /** The serialised answer, once it is sent (kept answers keep it). */
  sent?(facts: OperationFacts<TContext>, response: ReadyAnswer): void;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** The media type a refusal goes out with: the one the request's Accept prefers, plain JSON when it names none plainly. */
const refusalType = (info: RequestInfo): string => responseContentType(info.headers.accept) ?? JSON_TYPE;

export interface PipelineOptions<TContext> {
  stages: readonly Stage<TContext>[];
  /** `context`: the request's, when its operation is known (its logger names the request). */
  formatError(formatted: GraphQLFormattedError, error: unknown, context?: TContext): GraphQLFormattedError;
  /** The API schema now (undefined until the gateway has loaded it). */
  schema(): GraphQLSchema | undefined;
  /**
   * The lean path: executes an operation and answers it, or returns null to leave it to Apollo Server's pipeline
   * (variables that do not coerce). Absent: every request takes the full pipeline.
   */
  lean?(
    facts: OperationFacts<TContext>,
    cached: CachedDocument,
    run: StageRunner<TContext>,
  ): Promise<ReadyAnswer | null>;
}

/** The stages after the document, for a path to call in order. */
export interface StageRunner<TContext> {
  operation(facts: OperationFacts<TContext>): Promise<ReadyAnswer | undefined>;
  /** Result stages on an answer, then its serialisation. */
  answer(
    schema: GraphQLSchema,
    facts: OperationFacts<TContext> | undefined,
    params: GraphQLParams,
    result: {
      data?: Record<string, unknown> | null;
      errors?: readonly unknown[];
      extensions?: Record<string, unknown>;
    },
    contentType: string,
  ): Promise<ReadyAnswer>;
  sent(facts: OperationFacts<TContext>, response: ReadyAnswer): void;
}

export function gatewayPipeline<TContext>(options: PipelineOptions<TContext>) {
  const { stages, formatError } = options;
  const documentStage = stages.find((stage) => stage.document);
  if (!documentStage) throw new Error('the gateway pipeline needs a stage that reads the document');

  const runner: StageRunner<TContext> = {
    async operation(facts) {
      for (const stage of stages) {
        const answer = await stage.operation?.(facts);
        if (answer) return answer;
      }
      return undefined;
    },
    async answer(schema, facts, params, result, contentType) {
      const formatted = formatResult(
        result,
        facts ? (error, raw) => formatError(error, raw, facts.context) : formatError,
      );
      for (const stage of stages) await stage.result?.({ params, schema, operation: facts, answer: formatted.body });
      return serialise(formatted, contentType, facts?.operationName ?? null);
    },
    sent(facts, response) {
      for (const stage of stages) stage.sent?.(facts, response);
    },
  };

  const refuse = async (
    info: RequestInfo,
    schema: GraphQLSchema,
    params: GraphQLParams,
    error: unknown,
    facts?: OperationFacts<TContext>,
  ): Promise<ReadyAnswer> => {
    if (!isGraphQLError(error)) throw error;
    return {
      ...(await runner.answer(schema, facts, params, { errors: [error] }, refusalType(info))),
      served: 'refused',
    };
  };

  /** Tells the stages that a request was refused for what it sent. */
  async function refused(info: RequestInfo): Promise<void> {
    for (const stage of stages) await stage.refused?.(info);
  }

  async function pipeline(request: PipelineRequest<TContext>): Promise<ReadyAnswer | HandOver | null> {
    const schema = options.schema();
    if (!request.params || !schema) return null;
    const params = { ...request.params };
    const facts: RequestFacts = { method: request.method, params, info: request.info };
    try {
      for (const stage of stages) await stage.request?.(facts);
    } catch (error) {
      // Not charged: a persisted document not yet held is a step of the protocol, not abuse.
      return refuse(request.info, schema, params, error);
    }
    // No query text: Apollo Server answers that it needs one.
    if (typeof params.query !== 'string' || params.query === '') return { handOver: params };
    const prepared = documentStage!.document!({ ...facts, query: params.query, schema });
    if (isRefused(prepared)) {
      await refused(request.info);
      return {
        ...(await runner.answer(schema, undefined, params, { errors: prepared.errors }, refusalType(request.info))),
        served: 'refused',
      };
    }
    if (!options.lean || !request.leanContentType || prepared.introspection) return { handOver: params };
    const operation = DocumentCache.operation(prepared, params.operationName) ?? undefined;
    if (operation?.operation === 'subscription') return { handOver: params };
    const operationFacts: OperationFacts<TContext> = {
      params,
      schema,
      document: prepared.document,
      operation,
      operationName: operation?.name?.value ?? null,
      variables: params.variables ?? {},
      queryHash: prepared.hash,
      context: await request.context(),
      contentType: request.leanContentType,
    };
    try {
      const answered = await options.lean(operationFacts, prepared, runner);
      if (!answered) return { handOver: params };
      // An answer given at once (a kept one, clean when it was kept) was not serialised here.
      return answered.summary
        ? answered
        : { ...answered, summary: { operationName: operationFacts.operationName, codes: [], data: true } };
    } catch (error) {
      return refuse(request.info, schema, params, error, operationFacts);
    }
  }

  /** The arrival stages, which kit/http.ts runs before it reads the body. */
  async function arrival(info: RequestInfo): Promise<ReadyAnswer | null> {
    const schema = options.schema();
    if (!schema) return null;
    const params: GraphQLParams = {
      query: undefined,
      variables: undefined,
      operationName: undefined,
      extensions: undefined,
    };
    try {
      for (const stage of stages) await stage.arrival?.(info);
      return null;
    } catch (error) {
      return refuse(info, schema, params, error);
    }
  }

  /** The same stages in Apollo Server's pipeline, for the requests it serves. */
  function plugin(): ApolloServerPlugin<TContext & object> {
    return {
      async requestDidStart() {
        let facts: OperationFacts<TContext> | undefined;
        let early: ReadyAnswer | undefined;
        const paramsOf = (context: GraphQLRequestContext<TContext & object>): GraphQLParams => ({
          query: context.request.query,
          variables: context.request.variables,
          operationName: context.request.operationName,
          extensions: context.request.extensions,
        });
        return {
          async didResolveOperation(context) {
            facts = {
              params: paramsOf(context),
              schema: context.schema,
              document: context.document,
              operation: context.operation,
              operationName: context.operationName ?? null,
              variables: context.request.variables ?? {},
              queryHash: context.queryHash,
              context: context.contextValue,
              contentType: JSON_TYPE,
            };
            early = await runner.operation(facts);
          },
          async responseForOperation() {
            if (!early) return null;
            return {
              http: { status: early.status, headers: new HeaderMap(Object.entries(early.headers)) },
              body: { kind: 'single', singleResult: JSON.parse(early.body) },
            };
          },
          async willSendResponse(context) {
            if (context.response.body.kind !== 'single') return;
            const answer = context.response.body.singleResult as ResultFacts<TContext>['answer'];
            for (const stage of stages)
              await stage.result?.({ params: paramsOf(context), schema: context.schema, operation: facts, answer });
            if (facts && !early)
              runner.sent(facts, serialise({ status: context.response.http.status ?? 200, body: answer }, JSON_TYPE));
          },
        };
      },
    };
  }

  return { pipeline, arrival, refused, plugin };
}

function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError';
}
