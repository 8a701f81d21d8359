/**
 * The gateway (port 4000 by default): one composed schema over the three subgraphs, run from the checked-in
 * supergraph. It authenticates users, serves the public directory to anonymous callers, and forwards the
 * verified principal to subgraphs as a short-lived internal token, with the request id.
 */
import fs from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError, parse } from 'graphql';
import type { HubConfig } from '../kit/config.js';
import { errorFormatter } from '../kit/format-error.js';
import { echoScrubPlugin } from '../kit/echo-scrub.js';
import { createApolloHttpServer, listen, REQUEST_ID_HEADER } from '../kit/http.js';
import { createLogger, type Logger } from '../kit/log.js';
import type { Principal } from '../kit/principal.js';
import { publicCoordinates } from '../kit/public-fields.js';
import { userTokenVerifier } from './authenticate.js';
import { internalCredentials } from './internal-credentials.js';
import { publicDirectoryPlugin } from './public-directory.js';
import { addSubgraphRedaction, gatewayRedaction, type RedactionContext } from './redaction.js';
import { privacyOffice } from './privacy-office.js';
import { NoReservedAliasesRule } from './rules/NoReservedAliasesRule.js';
import { DOCUMENT_HASH_HEADER, OPERATION_NAME_HEADER, piiCoordinates } from '../kit/privacy.js';

// @apollo/gateway otherwise reports usage to Apollo's servers and probes cloud metadata endpoints (AWS, GCP, Azure)
// from every process that builds a gateway: the hub sends nothing off this machine it was not asked to.
process.env.APOLLO_TELEMETRY_DISABLED = 'true';

export const SUPERGRAPH_FILE = new URL('../schema/supergraph.graphql', import.meta.url);

export interface GatewayContext extends RedactionContext {
  principal: Principal;
  requestId: string;
  logger: Logger;
}

export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

type SubgraphName = keyof HubConfig['subgraphUrls'];

export async function startGateway(config: HubConfig, logger: Logger = createLogger('gateway', config.logLevel)): Promise<RunningGateway> {
  const supergraphSdl = fs.readFileSync(SUPERGRAPH_FILE, 'utf8');
  const credentials = internalCredentials(config.internalSecret);
  const urlOf = (name: string, fallback: string) => config.subgraphUrls[name as SubgraphName] ?? fallback;

  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name, url }) => new RemoteGraphQLDataSource<GatewayContext>({
      url: urlOf(name, url!),
      async willSendRequest({ request, context }) {
        // Context is absent only for the gateway's own health checks, which this gateway does not run.
        if (!context.principal) throw new Error(`no principal for a request to subgraph ${name}`);
        request.http!.headers.set('authorization', `Bearer ${await credentials(context.principal)}`);
        request.http!.headers.set(REQUEST_ID_HEADER, context.requestId);
        if (context.operation) {
          if (context.operation.name) request.http!.headers.set(OPERATION_NAME_HEADER, context.operation.name);
          request.http!.headers.set(DOCUMENT_HASH_HEADER, context.operation.documentHash);
        }
      },
      // A subgraph refuses bad variables with HTTP 400 and a GraphQL body: pass its error on (code and message,
      // already scrubbed of input there) instead of a bare "400: Bad Request" that would read as an internal error.
      async errorFromResponse(response) {
        const body = await response.json().catch(() => null) as { errors?: { message?: string; extensions?: { code?: string; field?: string } }[] } | null;
        const first = body?.errors?.[0];
        if (!first?.message || !first.extensions?.code) return new GraphQLError(`subgraph ${name} answered ${response.status}`);
        return new GraphQLError(first.message, { extensions: { code: first.extensions.code, ...(first.extensions.field ? { field: first.extensions.field } : {}) } });
      },
      async didReceiveResponse({ response, context }) {
        addSubgraphRedaction(context, response.extensions);
        return response;
      },
    }),
  });

  const redaction = gatewayRedaction(piiCoordinates(parse(supergraphSdl)), privacyOffice(urlOf('cases', config.subgraphUrls.cases), credentials), config.gatewayRedaction);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: errorFormatter(logger),
    includeStacktraceInErrorResponses: false,
    // kit/service.ts handles SIGINT/SIGTERM: Apollo's own handler would re-send the signal and race it.
    stopOnTerminationSignals: false,
    introspection: !config.production,
    // "Did you mean …?" would let a caller fish for field names.
    hideSchemaDetailsFromClientErrors: true,
    validationRules: [NoReservedAliasesRule],
    plugins: [
      echoScrubPlugin<GatewayContext>(),
      publicDirectoryPlugin(publicCoordinates(parse(supergraphSdl))),
      redaction.plugin(),
      ...(config.production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  });
  await apollo.start();

  const authenticate = userTokenVerifier(config.jwt);
  const subgraphReadiness = Object.values(config.subgraphUrls).map((url) => url.replace(/\/graphql$/, '/readyz'));
  const server = createApolloHttpServer<GatewayContext>({
    apollo,
    logger,
    authenticate: (req) => authenticate(req.headers.authorization),
    context: ({ principal, requestId, logger: log }) => ({ principal, requestId, logger: log }),
    async ready() {
      await Promise.all(subgraphReadiness.map(async (url) => {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch((error: Error) => { throw new Error(`${url}: ${error.message}`); });
        if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      }));
    },
  });
  const running = await listen(server, config.ports.gateway, config.host);
  return { url: running.url, close: async () => { await running.close(); await apollo.stop(); } };
}
