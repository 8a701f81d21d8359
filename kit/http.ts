/**
 * The HTTP front of an Apollo-based service (the gateway and the Apollo subgraphs): `POST|GET /graphql`,
 * `GET /healthz` (alive), `GET /readyz` (dependencies reachable) and, for a subgraph that keeps reads under a
 * generation, `GET /generation` (authenticated: the gateway checks its kept answers with it), a request id on every
 * request and one JSON log line per request. Plain node:http: nothing between the socket and Apollo that costs time.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { errorBody, ErrorCode, statusFor } from './errors.js';
import type { Logger } from './log.js';
import { loggableError } from './format-error.js';
import type { Principal } from './principal.js';
import { responseContentType, type FastResponse } from './graphql-response.js';

const MAX_BODY_BYTES = 1 << 20;
export const REQUEST_ID_HEADER = 'x-request-id';

/** Thrown by an authenticate hook: the request is answered 401 with this message. */
export class AuthError extends Error {}

export interface RequestInfo {
  requestId: string;
  principal: Principal;
  logger: Logger;
  /** The incoming request's headers (the gateway reads Authorization from them). */
  headers: IncomingMessage['headers'];
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
   * A lean path for the plain case, tried before Apollo Server's pipeline: a JSON POST of one operation
   * (`query`, optional `variables` and `operationName`, no extensions) whose answer type needs no negotiation.
   * It answers, or returns null to hand the request to Apollo Server unchanged (e.g. a document it has not validated).
   */
  fastPath?(request: FastRequest<TContext>): Promise<FastResponse | null>;
  /** The store's generation now (kit/generation.ts), served at `GET /generation`. */
  generation?(): Promise<number>;
  /**
   * How many GraphQL requests run at once; later ones wait their turn, in arrival order. On a busy machine more at
   * once buys no throughput (the work is CPU), only memory: each holds its answer being built.
   */
  maxConcurrentRequests?: number;
}

/** Runs work at most `limit` at a time, the rest in arrival order. */
class Admission {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

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

export interface FastRequest<TContext> {
  query: string;
  variables: Record<string, unknown> | undefined;
  operationName: unknown;
  /** The response's content type, negotiated from Accept. */
  contentType: string;
  info: RequestInfo;
  context(): Promise<TContext> | TContext;
}

/** The body of a plain single-operation JSON POST, or null for anything the full pipeline should see. */
function plainOperation(body: unknown): { query: string; variables: Record<string, unknown> | undefined; operationName: unknown } | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { query, variables, operationName, extensions } = body as Record<string, unknown>;
  if (typeof query !== 'string' || extensions !== undefined) return null;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
  return { query, variables: (variables ?? undefined) as Record<string, unknown> | undefined, operationName };
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

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body is larger than 1 MiB'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: string, requestId: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', [REQUEST_ID_HEADER]: requestId });
  res.end(body);
}

export async function probe(res: ServerResponse, requestId: string, check: () => Promise<void | Record<string, unknown>>): Promise<void> {
  try {
    const details = await check();
    sendJson(res, 200, JSON.stringify({ status: 'ready', ...details }), requestId);
  } catch (error) {
    const details = (error as { details?: Record<string, unknown> }).details;
    sendJson(res, 503, JSON.stringify({ status: 'unavailable', reason: (error as Error).message, ...details }), requestId);
  }
}

export function createApolloHttpServer<TContext extends BaseContext>(options: ApolloHttpOptions<TContext>): http.Server {
  const { apollo, logger } = options;
  const admission = new Admission(options.maxConcurrentRequests ?? Infinity);
  return http.createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(req);
    // Path and query split by hand: a URL object per request costs more than the request's own routing.
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const url = { pathname: queryAt === -1 ? target : target.slice(0, queryAt), search: queryAt === -1 ? '' : target.slice(queryAt) };
    // The request line is logged only where the level lets it through, so a quieter service does no work for it.
    if (logger.isLevelEnabled('info')) {
      res.on('finish', () => {
        logger.info({ requestId, method: req.method, path: url.pathname, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
      });
    }
    try {
      if (url.pathname === '/healthz') return sendJson(res, 200, JSON.stringify({ status: 'alive' }), requestId);
      if (url.pathname === '/readyz') return await probe(res, requestId, options.ready);
      const generation = url.pathname === '/generation' ? options.generation : undefined;
      if (url.pathname !== '/graphql' && !generation) return sendJson(res, 404, JSON.stringify({ error: 'not found: use /graphql, /healthz or /readyz' }), requestId);

      let principal: Principal;
      try {
        principal = await options.authenticate(req);
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        return sendJson(res, statusFor(ErrorCode.UNAUTHENTICATED), errorBody(ErrorCode.UNAUTHENTICATED, error.message), requestId);
      }
      if (generation) return sendJson(res, 200, JSON.stringify({ generation: await generation() }), requestId);

      let body: unknown = undefined;
      if (req.method === 'POST') {
        const text = await readBody(req);
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          return sendJson(res, 400, errorBody(ErrorCode.BAD_USER_INPUT, 'request body is not valid JSON'), requestId);
        }
      }
      const info: RequestInfo = { requestId, principal, logger: logger.child({ requestId }), headers: req.headers };
      await admission.run(() => answer(req, res, url.search, body, info, requestId));
    } catch (error) {
      logger.error({ requestId, err: loggableError(error) }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, errorBody(ErrorCode.INTERNAL_SERVER_ERROR, 'internal error'), requestId);
      else res.end();
    }
  });

  /** Answers one GraphQL request: the lean path when it takes it, else Apollo Server's pipeline. */
  async function answer(req: IncomingMessage, res: ServerResponse, search: string, body: unknown, info: RequestInfo, requestId: string): Promise<void> {
    if (options.fastPath && req.method === 'POST' && req.headers['content-type']?.startsWith('application/json')) {
      const operation = plainOperation(body);
      const contentType = responseContentType(req.headers.accept);
      if (operation && contentType) {
        const fast = await options.fastPath({ ...operation, contentType, info, context: () => options.context(info) });
        if (fast) {
          res.writeHead(fast.status, { ...fast.headers, 'content-length': Buffer.byteLength(fast.body), [REQUEST_ID_HEADER]: requestId });
          res.end(fast.body);
          return;
        }
      }
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search, body },
      context: async () => options.context(info),
    });
    const outHeaders: Record<string, string> = { [REQUEST_ID_HEADER]: requestId };
    for (const [name, value] of response.headers) outHeaders[name] = value;
    res.writeHead(response.status ?? 200, outHeaders);
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
        close: () => new Promise<void>((done) => {
          const cut = setTimeout(() => server.closeAllConnections(), DRAIN_GRACE_MS);
          server.close(() => { clearTimeout(cut); done(); });
          server.closeIdleConnections();
        }),
      });
    });
  });
}
