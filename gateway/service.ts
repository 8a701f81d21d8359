/**
 * The gateway (port 4000 by default): one composed schema over the three subgraphs, run from the checked-in
 * supergraph. It authenticates users, serves the public directory to anonymous callers, and forwards the
 * verified principal to subgraphs as a short-lived internal token, with the request id.
 */
import fs from 'node:fs';
import os from 'node:os';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway } from '@apollo/gateway';
import {
  NoSchemaIntrospectionCustomRule,
  parse,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import type { HubConfig } from '../kit/config.js';
import { errorFormatter, requestLoggerPlugin } from '../kit/format-error.js';
import { createApolloHttpServer, listen } from '../kit/http.js';
import { createLogger, type Logger } from '../kit/log.js';
import type { Principal } from '../kit/principal.js';
import { publicCoordinates } from '../kit/public-fields.js';
import { userTokenVerifier } from './authenticate.js';
import { internalCredentials } from './internal-credentials.js';
import { operationChoiceStage } from './operation-choice.js';
import { publicDirectoryStage } from './public-directory.js';
import { gatewayLeanPath } from './lean-path.js';
import { addSubgraphRedaction, gatewayRedaction, type RedactionContext } from './redaction.js';
import { privacyOffice } from './privacy-office.js';
import { NoReservedAliasesRule } from './rules/NoReservedAliasesRule.js';
import { scrubAnswerErrors } from '../kit/echo-scrub.js';
import { piiCoordinates } from '../kit/privacy.js';
import { responseHooksStage, type ResponseHook } from './response-hooks.js';
import { SubgraphClient } from './subgraph-client.js';
import { KeptAnswers, keptAnswersStage, type SubgraphName } from './kept-answers.js';
import { gatewayReadiness } from './readiness.js';
import { gatewayPipeline, type Stage } from './pipeline.js';
import { rateLimitStage } from './rate-limits.js';
import { persistedDocumentsStage } from './persisted-documents.js';
import { operationLimitsStage } from './operation-limits.js';
import { DEFAULT_GATEWAY_SETTINGS, type GatewaySettings } from './settings.js';
import { ServiceMetrics } from '../kit/metrics.js';
import { reportPlugin } from '../kit/request-report.js';
import { gatewayMetrics, trustedOperationNames } from './gateway-metrics.js';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';

/** What the gateway takes from each subgraph answer's extensions: values withheld, and until when figures hold. */
function observeSubgraphExtensions(context: GatewayContext, extensions: Record<string, unknown> | undefined): void {
  addSubgraphRedaction(context, extensions);
  const validUntil = extensions?.validUntil;
  if (typeof validUntil === 'number') context.validUntil = Math.min(context.validUntil ?? Infinity, validUntil);
}

// @apollo/gateway otherwise reports usage to Apollo's servers and probes cloud metadata endpoints (AWS, GCP, Azure)
// from every process that builds a gateway: the hub sends nothing off this machine it was not asked to.
process.env.APOLLO_TELEMETRY_DISABLED = 'true';

/**
 * Requests the gateway works on at once (kit/http.ts admission), four per core: beyond that, more in flight adds no
 * throughput, only memory (each holds its subgraph answers and the answer being built). On this 2-core machine,
 * 100-case party-data answers at 50 clients: peak RSS 304 MiB unbounded, 306 at 16, 246 at 8, with throughput 79,
 * 87 and 89 a second.
 */
const GATEWAY_CONCURRENCY = os.availableParallelism() * 4;

/** The gateway's own validation rules, on both request paths; in production, introspection is refused too. */
export const GATEWAY_RULES: readonly ValidationRule[] = [NoReservedAliasesRule];

export const SUPERGRAPH_FILE = new URL('../schema/supergraph.graphql', import.meta.url);

export interface GatewayContext extends RedactionContext {
  principal: Principal;
  requestId: string;
  logger: Logger;
  /** The earliest instant a subgraph said its figures stop holding without a write (`extensions.validUntil`). */
  validUntil?: number;
}

export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Post-processing of every response before it is serialised (e.g. redaction), run on both request paths. */
  responseHooks?: ResponseHook<GatewayContext>[];
  /** The gateway's clock, which kept answers are checked against (tests give the subgraphs' fixed clock). */
  clock?: () => Date;
  /** Limits, rate limits, trusted documents (gateway/settings.ts; main.ts reads them from the environment). */
  settings?: GatewaySettings;
  /** Prefix of the rate-limit keys in Redis (tests keep apart with it). */
  rateLimitKeyPrefix?: string;
  /** Off: every request takes Apollo Server's pipeline (tests prove each stage on both paths with it). */
  leanPath?: boolean;
}

export async function startGateway(
  config: HubConfig,
  logger: Logger = createLogger('gateway', config.logLevel),
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const supergraphSdl = fs.readFileSync(SUPERGRAPH_FILE, 'utf8');
  const credentials = internalCredentials(config.internalSecret);
  const urlOf = (name: string, fallback: string) => config.subgraphUrls[name as SubgraphName] ?? fallback;

  const clients: SubgraphClient<GatewayContext>[] = [];
  const answerDeadlineMs = Math.max(...Object.values(config.subgraphTimeoutsMs));
  const clientsByName = new Map<string, SubgraphClient<GatewayContext>>();
  const settings = options.settings ?? DEFAULT_GATEWAY_SETTINGS;
  const metrics = new ServiceMetrics('gateway', config.metrics);
  if (settings.trustedDocuments) metrics.allowOperations(trustedOperationNames(settings.trustedDocuments));
  const observed = gatewayMetrics(metrics, () => clientsByName);
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    // Query plans are kept per query text, bounded in (approximate) bytes: a flood of distinct documents stays within it.
    experimental_approximateQueryPlanStoreMiB: 16,
    // Its OpenTelemetry spans (kit/tracing.ts) carry neither the document nor the errors' messages, which may quote input.
    telemetry: { includeDocument: false, recordExceptions: false },
    buildService: ({ name, url }) => {
      const client = new SubgraphClient<GatewayContext>(
        name,
        urlOf(name, url!),
        credentials,
        observeSubgraphExtensions,
        { timeoutMs: config.subgraphTimeoutsMs[name as SubgraphName], logger, observe: observed.subgraphCalls(name) },
      );
      clients.push(client);
      clientsByName.set(name, client);
      return client;
    },
  });

  const redaction = gatewayRedaction(
    piiCoordinates(parse(supergraphSdl)),
    privacyOffice(urlOf('cases', config.subgraphUrls.cases), credentials),
    config.gatewayRedaction,
  );
  // Post-processing of every response: redaction first, then any the caller adds.
  const responseHooks: ResponseHook<GatewayContext>[] = [
    ({ result, context }) => redaction.finish(context, result),
    ...(options.responseHooks ?? []),
  ];
  const formatError = errorFormatter(logger);
  const clock = options.clock ?? (() => new Date());
  const kept = config.keptAnswers
    ? new KeptAnswers({
        now: () => clock().getTime(),
        generationOf: (subgraph, principal) => {
          const client = clientsByName.get(subgraph);
          if (!client) throw new Error(`no subgraph named ${subgraph} in the supergraph`);
          return client.generation(principal);
        },
      })
    : undefined;

  const rateLimits = settings.rateLimits
    ? rateLimitStage<GatewayContext>({
        limits: settings.rateLimits,
        redisUrl: settings.redisUrl,
        keyPrefix: options.rateLimitKeyPrefix,
        logger,
        onRefusal: observed.rateLimited,
      })
    : undefined;
  const limits = operationLimitsStage<GatewayContext>(
    settings.limits,
    config.production ? [...GATEWAY_RULES, NoSchemaIntrospectionCustomRule] : GATEWAY_RULES,
  );
  // Every check a request passes, in order, on both request paths (gateway/pipeline.ts). Authentication and the
  // body limit come before, in kit/http.ts.
  const stages: Stage<GatewayContext>[] = [
    ...(rateLimits ? [rateLimits] : []),
    persistedDocumentsStage(settings.trustedDocuments),
    limits,
    operationChoiceStage(),
    publicDirectoryStage(publicCoordinates(parse(supergraphSdl))),
    redaction.stage(),
    ...(kept ? [keptAnswersStage(kept)] : []),
    responseHooksStage(responseHooks),
    observed.stage(),
    {
      name: 'echo scrubbing',
      result: ({ params, schema: apiSchema, answer }) => scrubAnswerErrors(answer, params, apiSchema),
    },
  ];
  let schema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
    schema = apiSchema;
  });
  const pipeline = gatewayPipeline<GatewayContext>({
    stages,
    formatError: (formatted, error, context) => formatError(formatted, error, undefined, context?.logger),
    schema: () => schema,
    lean: options.leanPath === false ? undefined : gatewayLeanPath<GatewayContext>(gateway),
  });
  // Apollo Server takes its documents from the pipeline's document stage, which has parsed, limited and validated
  // every document it is handed: it parses and validates nothing itself (introspection aside, which it checks).
  const documentStore: KeyValueCache<DocumentNode> = {
    async get(key) {
      const cached = schema && limits.documents(schema).byHash(key.slice(key.lastIndexOf(':') + 1));
      return cached && !cached.introspection ? cached.document : undefined;
    },
    async set() {},
    async delete() {},
  };

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // Apollo Server's own lines in the service's JSON log, not its console text.
    logger,
    formatError,
    includeStacktraceInErrorResponses: false,
    // kit/service.ts handles SIGINT/SIGTERM: Apollo's own handler would re-send the signal and race it.
    stopOnTerminationSignals: false,
    introspection: !config.production,
    // "Did you mean …?" would let a caller fish for field names.
    hideSchemaDetailsFromClientErrors: true,
    validationRules: [...GATEWAY_RULES],
    parseOptions: { maxTokens: settings.limits.tokens },
    documentStore,
    // Persisted documents are the pipeline's (gateway/persisted-documents.ts), the same on both paths.
    persistedQueries: false,
    // The pipeline's operation, result and sent stages, for the requests Apollo Server serves.
    plugins: [pipeline.plugin(), reportPlugin(), requestLoggerPlugin(), ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();
  await rateLimits?.connected();

  const authenticate = userTokenVerifier(config.jwt);
  const server = createApolloHttpServer<GatewayContext>({
    apollo,
    logger,
    authenticate: (req) => authenticate(req.headers.authorization),
    // One deadline for the whole answer, from arrival: a call started late (queued, or after another subgraph's) gets
    // only what is left, so an answer waits no longer than the slowest subgraph's timeout.
    context: ({ principal, requestId, logger: log, arrivedAt }) => ({
      principal,
      requestId,
      logger: log,
      deadline: arrivedAt + answerDeadlineMs,
    }),
    pipeline: pipeline.pipeline,
    arrival: pipeline.arrival,
    refused: pipeline.refused,
    maxBodyBytes: settings.limits.bodyBytes,
    maxConcurrentRequests: GATEWAY_CONCURRENCY,
    metrics,
    corsOrigins: config.corsOrigins,
    // Ready while it can serve: one office down leaves the gateway in rotation (gateway/readiness.ts).
    ready: () => gatewayReadiness(clientsByName),
  });
  const running = await listen(server, config.ports.gateway, config.host);
  return {
    url: running.url,
    close: async () => {
      await running.close();
      await apollo.stop();
      await Promise.all(clients.map((c) => c.close()));
      await rateLimits?.close();
    },
  };
}
