/** The cases subgraph (port 4001 by default): the case registry, with its own store. */
import fs from 'node:fs';
import { startApolloSubgraph } from '../../kit/apollo-subgraph.js';
import type { HubConfig } from '../../kit/config.js';
import { CursorCodec } from '../../kit/connection.js';
import { createLogger, type Logger } from '../../kit/log.js';
import { openStore, type Knex } from '../../kit/store.js';
import { createLoaders } from './loaders.js';
import { migrations } from './migrations/index.js';
import { resolvers, type CasesContext } from './resolvers.js';
import { CaseStore } from './store.js';

export const typeDefs = fs.readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export function openCasesStore(config: HubConfig): Promise<Knex> {
  return openStore({ name: 'cases', url: config.databaseUrls.cases, dataDir: config.dataDir, migrations });
}

export interface RunningCasesService {
  url: string;
  knex: Knex;
  close(): Promise<void>;
}

export async function startCasesService(config: HubConfig, logger: Logger = createLogger('cases', config.logLevel)): Promise<RunningCasesService> {
  const knex = await openCasesStore(config);
  const store = new CaseStore(knex);
  const cursors = new CursorCodec(config.cursorSecret);
  const server = await startApolloSubgraph<CasesContext>({
    typeDefs,
    resolvers,
    logger,
    internalSecret: config.internalSecret,
    host: config.host,
    port: config.ports.cases,
    context: ({ principal, requestId, logger: log }) => ({ principal, requestId, logger: log, store, cursors, loaders: createLoaders(store) }),
    ready: async () => { await knex.raw('select 1'); },
  });
  return { url: server.url, knex, close: async () => { await server.close(); await knex.destroy(); } };
}
