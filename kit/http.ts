/**
 * The HTTP front of an Apollo-based service (the gateway and the Apollo subgraphs): `POST|GET /graphql`,
 * `GET /healthz` (alive), `GET /readyz` (dependencies reachable), `GET /metrics` (kit/metrics.ts) and, for a
 * subgraph that keeps reads under a generation, `GET /generation` (authenticated: the gateway checks its kept
 * answers with it), a request id on every request, and one JSON log line and one count per request
 * (kit/request-report.ts). Plain node:http: nothing between the socket and Apollo that costs time.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import corsMiddleware from 'cors';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { errorBody, ErrorCode, payloadTooLarge, statusFor } from './errors.js';
import { logRequest, type Logger } from './log.js';
import { loggableError } from './format-error.js';
import type { Principal } from './principal.js';
import { responseContentType, type ReadyAnswer } from './graphql-response.js';
import type { ServiceMetrics } from './metrics.js';
import {
  operationNameOf,
  outcomeOf,
  summarise,
  summaryFor,
  type AnswerSummary,
  type Outcome,
} from './request-report.js';
import { traced, tracingOn } from './tracing.js';

/** The body limit of a service that sets none: the gateway sets its own (gateway/limits.ts). */
const DEFAULT_MAX_BODY_BYTES = 1 << 20;
export const REQUEST_ID_HEADER = 'x-request-id';
/**
 * The paths served, matched exactly; `/healthz`, `/readyz` and `/metrics` (which has its own token) are the only
 * ones answered without a principal.
 */
const ROUTES = new Set(['/graphql', '/generation', '/healthz', '/readyz', '/metrics']);

/** Thrown by an authenticate hook: the request is answered 401 with this message. */
export class AuthError extends Error {}

export interface RequestInfo {
  requestId: string;
  principal: Principal;
  logger: Logger;
  /** The incoming request's headers (the gateway reads Authorization from them). */
  headers: IncomingMessage['headers'];
  /** The peer's address: an anonymous caller's rate-limit key. */
  remoteAddress: string;
  /** When the request arrived (Date.now()): its deadline counts from here, queueing included. */
  arrivedAt: number;
}

export interface ApolloHttpOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  logger: Logger;
  authenticate(req: IncomingMessage): Promise<Principal>;
  context(info: RequestInfo): Promise<TContext> | TContext;
  /**
   * Resolves when the service can do its work (store reachable, subgraphs reachable), optionally with details for the
   * body; rejects with why not (an error's own `details` go in the 503's body too).
   */
  ready(): Promise<void | Record<string, unknown>>;
  /**
   * The service's own pipeline, run on every GraphQL request (GET and POST) before Apollo Server's: it answers (a
   * refusal, or the lean path's answer), hands Apollo Server the request with its parameters rewritten (a persisted
   * document's text filled in), or returns null to hand it over unchanged.
   */
  pipeline?(request: PipelineRequest<TContext>): Promise<ReadyAnswer | HandOver | null>;
  /** The pipeline's checks of the caller alone, before the body is read: a refusal to send, or null to go on. */
  arrival?(info: RequestInfo): Promise<ReadyAnswer | null>;
  /** Told of a request refused here for its body (too large, not JSON), as the pipeline is of its own refusals. */
  refused?(info: RequestInfo): Promise<void>;
  /** Bytes a request body may hold; a larger one is answered 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** The store's generation now (kit/generation.ts), served at `GET /generation`. */
  generation?(): Promise<number>;
  /**
   * How many GraphQL requests run at once; later ones wait their turn, in arrival order. On a busy machine more at
   * once buys no throughput (the work is CPU), only memory: each holds its answer being built.
   */
  maxConcurrentRequests?: number;
  /** The service's metrics: served at `/metrics`, and every GraphQL request counted in them. */
  metrics: ServiceMetrics;
  /**
   * A header naming the client operation a request serves (a subgraph's: the gateway names it), for the log line
   * and the count, instead of the name of the operation the request itself ran (the query plan's fetch).
   */
  operationHeader?: string;
  /**
   * Origins whose browser pages may call the service (the gateway's `JIEFEN_CORS_ORIGINS`): their preflights are
   * answered and their answers readable. Absent or empty: no CORS headers, same-origin pages only.
   */
  corsOrigins?: readonly string[];
}

/** Runs work at most `limit` at a time, the rest in arrival order. */
class Admission {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  get runningCount(): number {
    return this.running;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((turn) => this.waiting.push(turn));
    else this.running++;
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, so the count never drops below the work in hand.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** One GraphQL request's parameters, from a POST body or a GET query string. */
export interface GraphQLParams {
  query: string | undefined;
  variables: Record<string, unknown> | undefined;
  operationName: unknown;
  extensions: Record<string, unknown> | undefined;
  /** A persisted document's id (the GraphQL-over-HTTP `documentId`), when the text is not sent. */
  documentId?: unknown;
}

export interface PipelineRequest<TContext> {
  method: string;
  /** Null when the request is no single GraphQL operation (a batch, a malformed parameter): Apollo Server answers it. */
  params: GraphQLParams | null;
  /**
   * The answer's content type when the lean path may serve the request (a JSON POST whose Accept needs no
   * negotiation), else null: the full pipeline serves it.
   */
  leanContentType: string | null;
  info: RequestInfo;
  context(): Promise<TContext> | TContext;
}

/** Hands the request to Apollo Server with these parameters. */
export interface HandOver {
  handOver: GraphQLParams;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The parameters of a single-operation request, or null for anything only Apollo Server should answer. */
export function graphqlParams(method: string, search: string, body: unknown): GraphQLParams | null {
  let fields: Record<string, unknown>;
  if (method === 'POST') {
    if (!isObject(body)) return null;
    fields = body;
  } else {
    const query = new URLSearchParams(search);
    fields = {};
    for (const name of ['query', 'operationName', 'documentId'] as const)
      if (query.has(name)) fields[name] = query.get(name);
    for (const name of ['variables', 'extensions'] as const) {
      const raw = query.get(name);
      if (raw === null) continue;
      try {
        fields[name] = JSON.parse(raw);
      } catch {
        return null;
      }
    }
  }
  const { query, variables, operationName, extensions, documentId } = fields;
  if (query !== undefined && typeof query !== 'string') return null;
  if (variables !== undefined && variables !== null && !isObject(variables)) return null;
  if (extensions !== undefined && extensions !== null && !isObject(extensions)) return null;
  return {
    query,
    variables: variables ?? undefined,
    operationName,
    extensions: extensions ?? undefined,
    ...(documentId !== undefined ? { documentId } : {}),
  } as GraphQLParams;
}

/** The query string Apollo Server reads a GET request's parameters from. */
function searchOf(params: GraphQLParams): string {
  const query = new URLSearchParams();
  if (params.query !== undefined) query.set('query', params.query);
  if (params.variables !== undefined) query.set('variables', JSON.stringify(params.variables));
  if (typeof params.operationName === 'string') query.set('operationName', params.operationName);
  if (params.extensions !== undefined) query.set('extensions', JSON.stringify(params.extensions));
  return `?${query}`;
}

class BodyTooLarge extends Error {}

/** Request errors of a well-formed request: its document does not parse or validate, or its variables do not coerce. */
const DOCUMENT_ERRORS = new Set<string>([
  ErrorCode.GRAPHQL_PARSE_FAILED,
  ErrorCode.GRAPHQL_VALIDATION_FAILED,
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.LIMIT_EXCEEDED,
]);

/**
 * GraphQL over HTTP: a client that asks for `application/json` (the legacy media type, which it gets) reads a
 * request error from the body, and is answered 200 for one; a client of `application/graphql-response+json`, or one
 * that names no type, gets the 4xx status.
 */
function statusForMediaType(
  status: number,
  accept: string | undefined,
  contentType: string | undefined,
  summary: AnswerSummary | undefined,
): number {
  if (status !== 400 || !summary || summary.data || summary.codes.length === 0) return status;
  if (!accept?.includes('application/json') || !contentType?.startsWith('application/json')) return status;
  return summary.codes.every((code) => DOCUMENT_ERRORS.has(code)) ? 200 : status;
}

/**
 * Headers a page may send: the token, the request id, and the ones Apollo Server's CSRF prevention takes as a sign
 * that a preflight was made. No credentials mode: users authenticate with a bearer token, never a cookie.
 */
const CORS_REQUEST_HEADERS = [
  'authorization',
  'content-type',
  REQUEST_ID_HEADER,
  'apollo-require-preflight',
  'x-apollo-operation-name',
];
/** Seconds a browser may keep a preflight's answer. */
const CORS_MAX_AGE = 600;

type Cors = ReturnType<typeof corsMiddleware>;

/**
 * The CORS headers for an allowed origin (none for another: its page cannot read the answer); a preflight is
 * answered here (204), before authentication, as it carries no token. False when the request was answered.
 */
function applyCors(cors: Cors, req: IncomingMessage, res: ServerResponse): boolean {
  // With a fixed list of origins the middleware decides at once: it calls on, or ends a preflight.
  let goOn = false;
  cors(req as never, res as never, () => {
    goOn = true;
  });
  return goOn;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  // Accept a caller's id only if it is short and plain, so it cannot forge log lines.
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/**
 * The body as text, refused as soon as it passes `max` bytes (by its declared length, before reading any). The rest
 * of a refused body is read and dropped, up to a few times the limit, so the client gets to read its 413 rather
 * than a reset connection; a body longer still has its connection cut.
 */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const refuse = () => {
      refused = true;
      chunks.length = 0;
      reject(new BodyTooLarge());
    };
    if (Number(req.headers['content-length']) > max) refuse();
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (refused) {
        if (size > max * 4) req.destroy();
        return;
      }
      if (size > max) return refuse();
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (error) => {
      if (!refused) reject(error);
    });
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    [REQUEST_ID_HEADER]: requestId,
    ...headers,
  });
  res.end(body);
}

export async function probe(
  res: ServerResponse,
  requestId: string,
  check: () => Promise<void | Record<string, unknown>>,
): Promise<void> {
  try {
    const details = await check();
    sendJson(res, 200, JSON.stringify({ status: 'ready', ...details }), requestId);
  } catch (error) {
    const details = (error as { details?: Record<string, unknown> }).details;
    sendJson(
      res,
      503,
      JSON.stringify({ status: 'unavailable', reason: (error as Error).message, ...details }),
      requestId,
    );
  }
}

/** What became of one request, told by whatever answered it, for its log line and its count. */
interface RequestReport {
  /** Which path served a GraphQL request: 'lean', 'full' (Apollo Server's pipeline) or 'refused' (by the pipeline). */
  served?: string;
  summary?: AnswerSummary;
}

export function createApolloHttpServer<TContext extends BaseContext>(
  options: ApolloHttpOptions<TContext>,
): http.Server {
  const { apollo, logger, metrics } = options;
  const admission = new Admission(options.maxConcurrentRequests ?? Infinity);
  metrics.observeAdmission(admission);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const cors = options.corsOrigins?.length
    ? corsMiddleware({
        origin: [...options.corsOrigins],
        methods: ['GET', 'POST'],
        allowedHeaders: CORS_REQUEST_HEADERS,
        exposedHeaders: [REQUEST_ID_HEADER, 'retry-after'],
        maxAge: CORS_MAX_AGE,
        credentials: false,
      })
    : undefined;
  /** Paths whose requests get no span: probes and scrapes. */
  const untraced = new Set(['/healthz', '/readyz', '/metrics']);
  return http.createServer((req, res) => {
    if (!tracingOn()) return handle(req, res);
    const path = req.url?.split('?', 1)[0] ?? '/';
    if (untraced.has(path)) return handle(req, res);
    return traced(metrics.service, req.method, ROUTES.has(path) ? path : 'unrouted', req.headers, (end) =>
      handle(req, res, end),
    );
  });

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    endSpan?: (status: number, outcome: Outcome, operationName: string | null) => void,
  ): Promise<void> {
    const started = process.hrtime.bigint();
    const arrivedAt = Date.now();
    const requestId = requestIdOf(req);
    // Path and query split by hand: a URL object per request costs more than the request's own routing.
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const url = {
      pathname: queryAt === -1 ? target : target.slice(0, queryAt),
      search: queryAt === -1 ? '' : target.slice(queryAt),
    };
    const report: RequestReport = {};
    // The route served, or null: the log names it rather than the path as sent, which is request text.
    const route = ROUTES.has(url.pathname) ? url.pathname : null;
    res.on('finish', () => {
      const { summary } = report;
      const operationName =
        (options.operationHeader && operationNameOf(req.headers[options.operationHeader])) ||
        (summary?.operationName ?? null);
      const outcome = outcomeOf(res.statusCode, summary);
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      // A preflight is no GraphQL request.
      if (route === '/graphql' && req.method !== 'OPTIONS')
        metrics.request(operationName, outcome, summary?.codes[0], durationMs / 1000);
      logRequest(logger, {
        requestId,
        method: req.method,
        path: route ?? 'unrouted',
        status: res.statusCode,
        served: report.served,
        operationName,
        outcome,
        codes: summary?.codes,
        durationMs,
      });
      endSpan?.(res.statusCode, outcome, operationName);
    });
    /** A refusal by the HTTP front itself (not authenticated, body too large or not JSON). */
    const refuse = (
      status: number,
      code: ErrorCode,
      message: string,
      extra: Record<string, unknown> = {},
      headers: Record<string, string> = {},
    ) => {
      report.summary = { operationName: null, codes: [code], data: false };
      sendJson(res, status, errorBody(code, message, extra), requestId, headers);
    };
    try {
      if (cors && !applyCors(cors, req, res)) return;
      if (route === '/healthz') return sendJson(res, 200, JSON.stringify({ status: 'alive' }), requestId);
      if (route === '/readyz') return await probe(res, requestId, options.ready);
      if (route === '/metrics') {
        const scrape = await metrics.scrape(req.headers.authorization);
        res.writeHead(scrape.status, { ...scrape.headers, [REQUEST_ID_HEADER]: requestId });
        res.end(scrape.body);
        return;
      }

      // Deny by default: every path but the two probes authenticates before it is routed, so no spelling of a path
      // (and no path added later) reaches anything without a principal. Routes match the exact path only.
      let principal: Principal;
      try {
        principal = await options.authenticate(req);
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        return refuse(statusFor(ErrorCode.UNAUTHENTICATED), ErrorCode.UNAUTHENTICATED, error.message);
      }
      if (route === '/generation' && options.generation)
        return sendJson(res, 200, JSON.stringify({ generation: await options.generation() }), requestId);
      if (route !== '/graphql')
        return sendJson(res, 404, JSON.stringify({ error: 'not found: use /graphql, /healthz or /readyz' }), requestId);

      const info: RequestInfo = {
        requestId,
        principal,
        logger: logger.child({ requestId }),
        headers: req.headers,
        remoteAddress: req.socket.remoteAddress ?? '',
        arrivedAt,
      };
      // The pipeline's checks of who is asking (rate limits) come before the body is read: a refused caller costs little.
      const turnedAway = await options.arrival?.(info);
      if (turnedAway) {
        report.served = 'refused';
        report.summary = turnedAway.summary;
        res.writeHead(turnedAway.status, {
          ...turnedAway.headers,
          'content-length': Buffer.byteLength(turnedAway.body),
          [REQUEST_ID_HEADER]: requestId,
          connection: 'close',
        });
        res.end(turnedAway.body);
        return;
      }
      let body: unknown = undefined;
      if (req.method === 'POST' && !req.headers['content-type']?.startsWith('application/json')) {
        // Nor is it read: a form's POST (which a browser sends without a preflight) never reaches a GraphQL pipeline.
        await options.refused?.(info);
        return refuse(415, ErrorCode.BAD_REQUEST, 'a POST must send its request as Content-Type: application/json');
      }
      if (req.method === 'POST') {
        let text: string;
        try {
          text = await readBody(req, maxBodyBytes);
        } catch (error) {
          if (!(error instanceof BodyTooLarge)) throw error;
          const refusal = payloadTooLarge(maxBodyBytes);
          await options.refused?.(info);
          return refuse(
            413,
            ErrorCode.PAYLOAD_TOO_LARGE,
            refusal.message,
            { limit: 'bodyBytes', max: maxBodyBytes },
            { connection: 'close' },
          );
        }
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          await options.refused?.(info);
          return refuse(400, ErrorCode.BAD_USER_INPUT, 'request body is not valid JSON');
        }
      }
      await admission.run(() => answer(req, res, url.search, body, info, requestId, report));
    } catch (error) {
      logger.error({ requestId, err: loggableError(error) }, 'request failed');
      report.summary = {
        operationName: report.summary?.operationName ?? null,
        codes: [ErrorCode.INTERNAL_SERVER_ERROR],
        data: false,
      };
      if (!res.headersSent) sendJson(res, 500, errorBody(ErrorCode.INTERNAL_SERVER_ERROR, 'internal error'), requestId);
      else res.end();
    }
  }

  /** Answers one GraphQL request: the service's pipeline when it answers, else Apollo Server's; reports which served it and how it ended. */
  async function answer(
    req: IncomingMessage,
    res: ServerResponse,
    search: string,
    body: unknown,
    info: RequestInfo,
    requestId: string,
    report: RequestReport,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    if (options.pipeline) {
      const params = method === 'POST' || method === 'GET' ? graphqlParams(method, search, body) : null;
      const json = method === 'POST' && req.headers['content-type']?.startsWith('application/json');
      const leanContentType = json ? responseContentType(req.headers.accept) : null;
      const outcome = await options.pipeline({
        method,
        params,
        leanContentType,
        info,
        context: () => options.context(info),
      });
      if (outcome && 'handOver' in outcome) {
        if (method === 'POST')
          body = Object.fromEntries(Object.entries(outcome.handOver).filter(([, value]) => value !== undefined));
        else search = searchOf(outcome.handOver);
      } else if (outcome) {
        report.served = outcome.served ?? 'lean';
        report.summary = outcome.summary;
        res.writeHead(
          statusForMediaType(outcome.status, req.headers.accept, outcome.headers['content-type'], outcome.summary),
          { ...outcome.headers, 'content-length': Buffer.byteLength(outcome.body), [REQUEST_ID_HEADER]: requestId },
        );
        res.end(outcome.body);
        return;
      }
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    report.served = 'full';
    const httpGraphQLRequest = { method: req.method ?? 'GET', headers, search, body };
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => options.context(info),
    });
    // A request Apollo Server refused before its pipeline began (no query, a malformed parameter) ran nothing.
    report.summary =
      summaryFor(httpGraphQLRequest) ??
      (response.status && response.status >= 400
        ? summarise({ errors: [{ extensions: { code: ErrorCode.BAD_REQUEST } }] })
        : undefined);
    const outHeaders: Record<string, string> = { [REQUEST_ID_HEADER]: requestId };
    for (const [name, value] of response.headers) outHeaders[name] = value;
    res.writeHead(
      statusForMediaType(response.status ?? 200, req.headers.accept, outHeaders['content-type'], report.summary),
      outHeaders,
    );
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }
}

/** How long a closing server waits for requests in flight before it cuts their connections. */
const DRAIN_GRACE_MS = 3000;

export function listen(server: http.Server, port: number, host: string): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        port: address.port,
        url: `http://${shownHost}:${address.port}/graphql`,
        // Stops taking requests and lets those in flight finish (a stopping gateway must not cut a subgraph call
        // short, nor a subgraph its transaction's answer); connections still busy after the grace period are cut.
        close: () =>
          new Promise<void>((done) => {
            const cut = setTimeout(() => server.closeAllConnections(), DRAIN_GRACE_MS);
            server.close(() => {
              clearTimeout(cut);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}
