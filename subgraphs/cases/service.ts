/** The cases subgraph (port 4001 by default): the case registry, with its own store. */
import fs from 'node:fs';
import { parse } from 'graphql';
import { startApolloSubgraph } from '../../kit/apollo-subgraph.js';
import type { HubConfig } from '../../kit/config.js';
import { CursorCodec } from '../../kit/connection.js';
import { createLogger, type Logger } from '../../kit/log.js';
import { openStore, type Knex } from '../../kit/store.js';
import { createLoaders } from './loaders.js';
import { migrations } from './migrations/index.js';
import { resolvers, type CasesContext } from './resolvers.js';
import { CaseStore } from './store.js';
import { CaseCommands } from './commands.js';
import { profileNamed } from './deadlines/deadlines.js';
import { registryClient } from './registry-client.js';
import { startCaseEventRelay } from './events.js';
import { referralsClient } from './referrals-client.js';
import { mappedLoader } from '../../kit/loaders.js';
import { guardPiiFields, piiCoordinates } from '../../kit/privacy.js';
import { PrivacyLedger } from './privacy/ledger.js';
import { GrantStore } from './privacy/grants.js';
import { AuditLog } from './privacy/audit-log.js';
import { ConsentDesk } from './privacy/consent.js';
import { closePrivacyLedger } from './privacy/close-ledger.js';
import { pseudonymizer } from './privacy/pseudonym.js';
import { CaseStatistics } from './statistics/statistics.js';
import { CaseRowAccess } from './privacy/row-scope.js';
import { ServiceMetrics } from '../../kit/metrics.js';

export const typeDefs = fs.readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export function openCasesStore(config: HubConfig): Promise<Knex> {
  return openStore({ name: 'cases', url: config.databaseUrls.cases, dataDir: config.dataDir, migrations });
}

export interface RunningCasesService {
  url: string;
  knex: Knex;
  close(): Promise<void>;
}

export interface CasesServiceOptions {
  /** The service's clock: tests fix it, so deadlines are computed on dates the calendar covers. */
  clock?: () => Date;
  /** Where new cases' record keys come from: tests fix it, so the noise they see is reproducible. */
  recordKeys?: () => number;
}

export async function startCasesService(
  config: HubConfig,
  logger: Logger = createLogger('cases', config.logLevel),
  options: CasesServiceOptions = {},
): Promise<RunningCasesService> {
  const clock = options.clock ?? (() => new Date());
  const profile = profileNamed(config.jurisdiction);
  const knex = await openCasesStore(config);
  const store = new CaseStore(knex, clock);
  const commands = new CaseCommands(knex, {
    regionCode: config.regionCode,
    profile,
    clock,
    reserveDispatch: registryClient(config.subgraphUrls.institutions),
    recordKeys: options.recordKeys,
  });
  const cursors = new CursorCodec(config.cursorSecret);
  const grants = new GrantStore(knex, clock);
  const audit = new AuditLog(knex, clock);
  const consent = new ConsentDesk(knex, grants, audit);
  const pseudonym = pseudonymizer(config.pseudonymKey);
  const referralTargetsOf = referralsClient(config.subgraphUrls.referrals);
  await audit.prune(config.auditRetentionDays);
  const pruning = setInterval(() => {
    audit
      .prune(config.auditRetentionDays)
      .catch((error: Error) => logger.error({ err: { name: error.name } }, 'audit pruning failed'));
  }, 86_400_000);
  pruning.unref();
  const relay = await startCaseEventRelay(knex, config, logger);
  const metrics = new ServiceMetrics('cases', config.metrics);
  metrics.observeStore(knex);
  metrics.observeOutbox(relay);
  const statistics = new CaseStatistics(knex, {
    suppressionThreshold: config.suppressionThreshold,
    cache: config.keptReads,
    profile,
    clock,
  });
  const server = await startApolloSubgraph<CasesContext>({
    typeDefs,
    resolvers,
    transformSchema: (schema) =>
      guardPiiFields<CasesContext>(
        schema,
        piiCoordinates(parse(typeDefs)),
        (ctx, category, parent) => ctx.privacy.decide(category, parent),
        (ctx, category, parent, disclosure) => ctx.privacy.record(category, parent, disclosure),
      ),
    async finish(context, result, request) {
      await closePrivacyLedger(context, result, request);
      // Statistics that move with the clock (overdue now) say until when they hold without a write: the gateway
      // keeps a whole answer no longer than that (gateway/kept-answers.ts).
      const validUntil = context.statistics.validUntil;
      if (validUntil !== Infinity) result.extensions = { ...result.extensions, validUntil };
    },
    generation: () => statistics.generation(),
    metrics,
    logger,
    internalSecret: config.internalSecret,
    host: config.host,
    port: config.ports.cases,
    context: ({ principal, requestId, logger: log, headers }) => {
      const caller = { principal, requestId, authorization: headers.authorization ?? '' };
      const referredTo = mappedLoader(
        (ids: readonly string[]) => referralTargetsOf(ids, caller),
        () => [] as string[],
      );
      const figures = statistics.forRequest(principal);
      return {
        principal,
        requestId,
        logger: log,
        store,
        cursors,
        loaders: createLoaders(store, figures.policy),
        commands,
        clock,
        caller,
        privacy: new PrivacyLedger(principal, { grants, referredTo, clock }),
        pseudonym,
        grants,
        consent,
        audit,
        statistics: figures,
        rows: new CaseRowAccess(principal, { grants, referredTo }),
      };
    },
    ready: async () => {
      await knex.raw('select 1');
    },
  });
  return {
    url: server.url,
    knex,
    close: async () => {
      clearInterval(pruning);
      await relay.stop();
      await server.close();
      await knex.destroy();
    },
  };
}
