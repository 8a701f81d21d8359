/**
 * Structured JSON-line logs, one shape for every service: each line carries `service` and, within a request, its
 * `requestId`; each request ends with one `request` line (`logRequest`) naming its operation, outcome and duration.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Outcome } from './request-report.js';

export type { Logger };

export function createLogger(
  service: string,
  level = process.env.LOG_LEVEL || 'info',
  destination?: DestinationStream,
): Logger {
  const options = { name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}

/** The line that closes a request, written by every service's HTTP front (kit/http.ts, the referrals' Fastify hooks). */
export interface RequestLine {
  requestId: string;
  method: string | undefined;
  /** The route matched (never the path as sent, which is request text), or `unrouted`. */
  path: string;
  status: number;
  /** Which path served a GraphQL request: `lean`, `full` or `refused` (the gateway and the Apollo subgraphs). */
  served?: string;
  /** The client operation the request served, or null (anonymous, or no operation ran). */
  operationName: string | null;
  outcome: Outcome;
  /** The answer's error codes, when it had errors. */
  codes?: readonly string[];
  durationMs: number;
}

export function logRequest(logger: Logger, line: RequestLine): void {
  // Only where the level lets it through, so a quieter service does no work for it.
  if (!logger.isLevelEnabled('info')) return;
  const { codes, durationMs, ...rest } = line;
  logger.info(
    { ...rest, ...(codes?.length ? { codes } : {}), durationMs: Math.round(durationMs * 1000) / 1000 },
    'request',
  );
}
