/**
 * How the gateway calls one subgraph: a pool of keep-alive HTTP connections (undici), the principal's internal
 * token and the request id as headers, the body serialised once and the answer parsed once. It replaces
 * RemoteGraphQLDataSource, whose fetch stack (Headers and Request objects, an HTTP cache layer) cost more CPU
 * than the subgraph call itself. Errors take the shape RemoteGraphQLDataSource gives them, so the gateway's
 * error handling is unchanged.
 *
 * Every call runs under the subgraph's guard (gateway/subgraph-health.ts: deadline, concurrency limit, circuit
 * breaker). A call that gets no answer is not thrown: it is answered as the subgraph would answer a failed
 * field, with no data and a SUBGRAPH_UNAVAILABLE error for each field the call was to fill, so Apollo Gateway
 * maps it onto that field's path, nulls only what this subgraph contributes, and serves the rest.
 */
import { STATUS_CODES } from 'node:http';
import { Pool } from 'undici';
import {
  GraphQLError,
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { REQUEST_ID_HEADER } from '../kit/http.js';
import { subgraphUnavailable } from '../kit/errors.js';
import type { Logger } from '../kit/log.js';
import { DOCUMENT_HASH_HEADER, OPERATION_NAME_HEADER } from '../kit/privacy.js';
import type { Principal } from '../kit/principal.js';
import { propagate } from '../kit/tracing.js';
import {
  SubgraphGuard,
  SubgraphUnavailable,
  type CircuitName,
  type SubgraphState,
  type UnavailableReason,
} from './subgraph-health.js';

export interface SubgraphCallContext {
  principal?: Principal;
  requestId?: string;
  /** The client's operation, named to subgraphs for their audit records. */
  operation?: { name: string | null; documentHash: string };
  logger?: Logger;
  /** The instant (Date.now()) by which the client's whole answer is due: no call runs past it. */
  deadline?: number;
}

/** The subgraph's deadline per call, where its circuit's changes are logged, and where its calls are counted. */
export interface SubgraphFailover {
  timeoutMs: number;
  logger: Logger;
  /** Told of each GraphQL call: `answered`, or why it got no answer, and how long it took. */
  observe?(outcome: 'answered' | UnavailableReason, seconds: number): void;
}

interface RawAnswer {
  statusCode: number;
  contentType: string;
  text: string;
}

export class SubgraphClient<TContext extends SubgraphCallContext> implements GraphQLDataSource<TContext> {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly generationPath: string;
  private readonly readinessPath: string;
  private readonly guard: SubgraphGuard;
  private readonly observe: NonNullable<SubgraphFailover['observe']>;

  constructor(
    private readonly name: string,
    private readonly url: string,
    private readonly credentials: (principal: Principal) => Promise<string>,
    /** Sees each answer's `extensions` (the gateway adds up what subgraphs withheld). */
    private readonly onExtensions: (
      context: TContext,
      extensions: Record<string, unknown> | undefined,
    ) => void = () => {},
    failover: SubgraphFailover,
    connections = 32,
  ) {
    const parsed = new URL(url);
    this.path = parsed.pathname + parsed.search;
    this.generationPath = parsed.pathname.replace(/\/graphql$/, '/generation');
    this.readinessPath = parsed.pathname.replace(/\/graphql$/, '/readyz');
    this.pool = new Pool(parsed.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
    this.guard = new SubgraphGuard(name, failover.timeoutMs, failover.logger);
    this.observe = failover.observe ?? (() => {});
  }

  /** Its circuit's state now. */
  get circuit(): CircuitName {
    return this.guard.circuit;
  }

  async process(options: GraphQLDataSourceProcessOptions<TContext>) {
    const { context, request } = options;
    // Context is absent only for the gateway's own health checks, which this gateway does not run.
    if (!context.principal) throw new Error(`no principal for a request to subgraph ${this.name}`);
    const body = JSON.stringify(
      request.operationName
        ? { query: request.query, variables: request.variables, operationName: request.operationName }
        : { query: request.query, variables: request.variables },
    );
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${await this.credentials(context.principal)}`,
    };
    if (context.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
    if (context.operation) {
      if (context.operation.name) headers[OPERATION_NAME_HEADER] = context.operation.name;
      headers[DOCUMENT_HASH_HEADER] = context.operation.documentHash;
    }
    // The call's `traceparent`: the subgraph's span is a child of Apollo Gateway's `gateway.fetch`.
    propagate(headers);
    let response: RawAnswer;
    const started = performance.now();
    try {
      response = await this.guard.call(
        (signal) => this.send('POST', this.path, headers, body, signal),
        mayRetry(request.query, request.variables),
        context.deadline,
      );
      this.observe('answered', (performance.now() - started) / 1000);
    } catch (error) {
      if (!(error instanceof SubgraphUnavailable)) throw error;
      this.observe(error.reason, (performance.now() - started) / 1000);
      context.logger?.warn({ subgraph: this.name, reason: error.message }, 'subgraph unavailable');
      return { errors: unavailableErrors(this.name, error.message, request.query, request.variables) };
    }
    const { text, contentType } = response;
    const parsed =
      contentType.startsWith('application/json') || contentType.startsWith('application/graphql-response+json')
        ? safeJson(text)
        : text;
    // A subgraph refuses bad variables with HTTP 400 and a GraphQL body: pass its error on (code and message, already
    // scrubbed of input there) rather than a bare "400: Bad Request" that would read as an internal error.
    const refusal = (
      parsed as { errors?: { message?: unknown; extensions?: { code?: unknown; field?: unknown } }[] } | null
    )?.errors?.[0];
    if (
      response.statusCode === 400 &&
      typeof refusal?.message === 'string' &&
      typeof refusal.extensions?.code === 'string'
    ) {
      const { code, field } = refusal.extensions;
      throw new GraphQLError(refusal.message, {
        extensions: { code, ...(typeof field === 'string' ? { field } : {}) },
      });
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const extensions: Record<string, unknown> = {
        response: {
          url: this.url,
          status: response.statusCode,
          statusText: STATUS_CODES[response.statusCode],
          body: parsed,
        },
      };
      if (response.statusCode === 401) extensions.code = 'UNAUTHENTICATED';
      else if (response.statusCode === 403) extensions.code = 'FORBIDDEN';
      throw new GraphQLError(`${response.statusCode}: ${STATUS_CODES[response.statusCode]}`, { extensions });
    }
    if (typeof parsed !== 'object' || parsed === null)
      throw new Error(`Expected JSON response body from subgraph ${this.name}`);
    this.onExtensions(context as TContext, (parsed as { extensions?: Record<string, unknown> }).extensions);
    return parsed as Record<string, unknown>;
  }

  /** The subgraph's generation now (kit/generation.ts), asked as the principal: gateway/kept-answers.ts checks kept answers with it. */
  async generation(principal: Principal): Promise<number> {
    const headers = { authorization: `Bearer ${await this.credentials(principal)}` };
    const response = await this.guard.call(
      (signal) => this.send('GET', this.generationPath, headers, undefined, signal),
      true,
    );
    const generation =
      response.statusCode === 200
        ? (safeJson(response.text) as { generation?: unknown } | null)?.generation
        : undefined;
    if (typeof generation !== 'number')
      throw new Error(
        `subgraph ${this.name} answered ${response.statusCode} to GET ${this.generationPath}, not a generation`,
      );
    return generation;
  }

  /** Up, degraded or open-circuited, for the gateway's /readyz (asks the subgraph's own /readyz). */
  state(): Promise<SubgraphState> {
    return this.guard.state(
      async (signal) => (await this.send('GET', this.readinessPath, {}, undefined, signal)).statusCode === 200,
    );
  }

  /** One HTTP exchange, answer read in full; a 5xx is the subgraph failing, not answering. */
  private async send(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<RawAnswer> {
    const response = await this.pool.request({ method, path, headers, body, signal });
    const text = await response.body.text();
    if (response.statusCode >= 500)
      throw new SubgraphUnavailable(`it answered HTTP ${response.statusCode}`, 'server_error');
    return { statusCode: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), text };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * Whether a call may be sent again after its connection failed: a read always; a mutation only when every field it
 * calls carries an idempotency key (the subgraph then answers a repeat with the first result and changes nothing).
 */
function mayRetry(query: string | undefined, variables: Record<string, unknown> = {}): boolean {
  // The planner writes each subgraph operation starting with its keyword: reads need no parse on this hot path.
  if (!query?.startsWith('mutation')) return true;
  const operation = operationOf(parsed(query));
  if (!operation || operation.operation !== 'mutation') return true;
  return operation.selectionSet.selections.every(
    (selection) =>
      selection.kind === Kind.FIELD &&
      selection.arguments?.some(
        (argument) =>
          argument.name.value === 'idempotencyKey' &&
          (argument.value.kind === Kind.VARIABLE
            ? variables[argument.value.name.value] != null
            : argument.value.kind === Kind.STRING),
      ),
  );
}

function operationOf(document: DocumentNode | undefined): OperationDefinitionNode | undefined {
  return document?.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
}

/** Subgraph operations parsed once each (Apollo Gateway does not hand the data source its document by default). */
const documents = new Map<string, DocumentNode>();
const MAX_DOCUMENTS = 1000;

function parsed(query: string | undefined): DocumentNode | undefined {
  if (!query) return undefined;
  let document = documents.get(query);
  if (!document) {
    try {
      document = parse(query);
    } catch {
      return undefined;
    }
    // The planner's operations are a bounded set per supergraph; the bound only guards against a leak.
    if (documents.size >= MAX_DOCUMENTS) documents.clear();
    documents.set(query, document);
  }
  return document;
}

/**
 * One error per field the failed call was to fill, in the path form Apollo Gateway maps onto the response: a root
 * field by its name, an entity field as `_entities.0.<field>`, which it turns into the first object's path (e.g.
 * `cases.edges.0.node.referrals`). The message counts the other objects whose same field is null for the same reason.
 */
function unavailableErrors(
  subgraph: string,
  why: string,
  query: string | undefined,
  variables: Record<string, unknown> = {},
) {
  const document = parsed(query);
  const operation = operationOf(document);
  if (!operation) return [subgraphUnavailable(subgraph, why).toJSON()];
  const fragments = new Map(
    document!.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const roots = responseKeys(operation.selectionSet, fragments);
  const representations = variables.representations;
  if (roots.length === 1 && roots[0]!.key === '_entities' && Array.isArray(representations)) {
    const others = representations.length - 1;
    const also = others > 0 ? ` (so is the same field of ${others} more object${others === 1 ? '' : 's'})` : '';
    return responseKeys(roots[0]!.selectionSet!, fragments).map(({ key }) => ({
      ...subgraphUnavailable(subgraph, why + also).toJSON(),
      path: ['_entities', 0, key],
    }));
  }
  return roots.map(({ key }) => ({ ...subgraphUnavailable(subgraph, why).toJSON(), path: [key] }));
}

/** The response keys a selection set fills (through fragments), without `__typename`. */
function responseKeys(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
): { key: string; selectionSet?: SelectionSetNode }[] {
  const keys = new Map<string, SelectionSetNode | undefined>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (key !== '__typename' && !keys.has(key)) keys.set(key, selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  visit(selectionSet);
  return [...keys].map(([key, set]) => ({ key, selectionSet: set }));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
