/**
 * What one GraphQL request came to — the operation it ran, the error codes of its answer, whether it carried data —
 * told by whichever path answered it, so that the HTTP front (kit/http.ts, and the referrals subgraph's Fastify
 * hooks) writes one log line and counts one request the same way for every service. A lean path puts its summary on
 * the response it returns; Apollo Server's pipeline tells it through `reportPlugin`, keyed by the HTTP request object
 * kit/http.ts handed it (Apollo Server copies the context object, but passes that one on as it is).
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

export interface AnswerSummary {
  /** The name of the operation that ran (from its document), or null. */
  operationName: string | null;
  /** The `extensions.code` of each error, in order. */
  codes: string[];
  /** Whether the answer carried data: some root field not null (a partial answer does). */
  data: boolean;
}

/**
 * How a request ended, for its log line and its count:
 * - `ok`: answered without errors;
 * - `partial`: data with errors (an office unavailable, a field refused);
 * - `error`: no data, for what the request asked or sent (refused, invalid, forbidden, not found…);
 * - `failed`: no data for the hub's own fault (an unexpected error, every office it needed unavailable, HTTP 5xx).
 */
export type Outcome = 'ok' | 'partial' | 'error' | 'failed';

const HUB_FAULTS = new Set(['INTERNAL_SERVER_ERROR', 'SUBGRAPH_UNAVAILABLE']);

export function outcomeOf(status: number, summary: AnswerSummary | undefined): Outcome {
  if (!summary || summary.codes.length === 0) return status >= 500 ? 'failed' : status >= 400 ? 'error' : 'ok';
  if (summary.data) return 'partial';
  return status >= 500 || summary.codes.some((code) => HUB_FAULTS.has(code)) ? 'failed' : 'error';
}

/** A GraphQL name, as an operation's own is: anything else (a name asked for that no operation has) is request text. */
const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

export function operationNameOf(name: unknown): string | null {
  return typeof name === 'string' && NAME.test(name) ? name : null;
}

/** The summary of an answer body about to be serialised. */
export function summarise(
  body: { data?: unknown; errors?: readonly { extensions?: Record<string, unknown> }[] },
  operationName: string | null = null,
): AnswerSummary {
  return {
    operationName,
    codes: (body.errors ?? []).map((error) =>
      typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR',
    ),
    data:
      typeof body.data === 'object' &&
      body.data !== null &&
      Object.values(body.data).some((value) => value !== null && value !== undefined),
  };
}

/** Where Apollo Server's pipeline leaves each request's summary: by the HTTP request object kit/http.ts made. */
const summaries = new WeakMap<object, AnswerSummary>();

export function summaryFor(httpRequest: object): AnswerSummary | undefined {
  return summaries.get(httpRequest);
}

/** Tells the HTTP front what each request Apollo Server answered came to. */
export function reportPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response, operationName }) {
          if (response.body.kind !== 'single' || !request.http) return;
          summaries.set(
            request.http,
            summarise(response.body.singleResult as Parameters<typeof summarise>[0], operationNameOf(operationName)),
          );
        },
      };
    },
  };
}
