/** The institutions subgraph (port 4002 by default): the registry of supervising units and institutions. */
import fs from 'node:fs';
import { startApolloSubgraph } from '../../kit/apollo-subgraph.js';
import type { HubConfig } from '../../kit/config.js';
import { CursorCodec } from '../../kit/connection.js';
import { createLogger, type Logger } from '../../kit/log.js';
import { openStore, type Knex } from '../../kit/store.js';
import { KeptReads } from '../../kit/generation.js';
import { createLoaders } from './loaders.js';
import { migrations } from './migrations/index.js';
import { resolvers, type InstitutionsContext } from './resolvers.js';
import { HistoryStore, InstitutionStore } from './store.js';
import { RegistryCommands } from './commands.js';
import { ServiceMetrics } from '../../kit/metrics.js';

export const typeDefs = fs.readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export function openInstitutionsStore(config: HubConfig): Promise<Knex> {
  return openStore({
    name: 'institutions',
    url: config.databaseUrls.institutions,
    dataDir: config.dataDir,
    migrations,
  });
}

export interface RunningInstitutionsService {
  url: string;
  knex: Knex;
  close(): Promise<void>;
}

export async function startInstitutionsService(
  config: HubConfig,
  logger: Logger = createLogger('institutions', config.logLevel),
): Promise<RunningInstitutionsService> {
  const knex = await openInstitutionsStore(config);
  const store = new InstitutionStore(knex);
  const registry = new KeptReads(() => store.generation(), config.keptReads);
  const history = new HistoryStore(knex);
  const commands = new RegistryCommands(knex);
  const cursors = new CursorCodec(config.cursorSecret);
  const metrics = new ServiceMetrics('institutions', config.metrics);
  metrics.observeStore(knex);
  const server = await startApolloSubgraph<InstitutionsContext>({
    typeDefs,
    resolvers,
    logger,
    metrics,
    internalSecret: config.internalSecret,
    host: config.host,
    port: config.ports.institutions,
    context: ({ principal, requestId, logger: log }) => ({
      principal,
      requestId,
      logger: log,
      store,
      cursors,
      history,
      loaders: createLoaders(store, history, registry),
      commands,
    }),
    ready: async () => {
      await knex.raw('select 1');
    },
    generation: () => store.generation(),
  });
  return {
    url: server.url,
    knex,
    close: async () => {
      await server.close();
      await knex.destroy();
    },
  };
}
