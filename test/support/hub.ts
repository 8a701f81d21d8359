/**
 * The whole federation for a test: fresh sqlite files in a temporary directory (or fresh PostgreSQL databases),
 * seeded with a small demo world, the three subgraphs and the gateway on free ports, over real HTTP. With
 * `JIEFEN_TEST_STORE=postgres` every hub not given its databases gets fresh PostgreSQL ones (one per subgraph,
 * dropped when it closes): CI runs the whole suite once on each store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type HubConfig } from '../../kit/config.js';
import { createLogger } from '../../kit/log.js';
import { statementCounter } from '../../kit/store.js';
import { startCasesService } from '../../subgraphs/cases/service.js';
import { startInstitutionsService } from '../../subgraphs/institutions/service.js';
import { startReferralsService } from '../../subgraphs/referrals/service.js';
import { startGateway, type GatewayOptions } from '../../gateway/service.js';
import { signDevToken } from '../../gateway/dev-token.js';
import { seedDemo } from '../../seed/seed-demo.js';
import { freePort } from '../../scripts/processes.js';
import { createDatabases } from './postgres.js';

/** The store a hub gets when a test names none: `JIEFEN_TEST_STORE`, `sqlite` (default) or `postgres`. */
export const TEST_STORE = testStore(process.env.JIEFEN_TEST_STORE);

function testStore(raw: string | undefined): 'sqlite' | 'postgres' {
  if (raw === undefined || raw === '' || raw === 'sqlite') return 'sqlite';
  if (raw === 'postgres') return 'postgres';
  throw new Error(`JIEFEN_TEST_STORE must be sqlite or postgres, got '${raw}'`);
}

export interface HubOptions {
  cases?: number;
  institutions?: number;
  seed?: number;
  /** PostgreSQL URLs per store; sqlite files when absent. */
  databaseUrls?: HubConfig['databaseUrls'];
  /** The cases service's and the gateway's clock (default: real time). */
  clock?: () => Date;
  /** Record keys of cases submitted through the API (default: the cryptographic generator). */
  recordKeys?: () => number;
  jurisdiction?: string;
  /** Webhook subscribers of both outboxes, and the relay's timing. */
  webhooks?: HubConfig['webhooks'];
  outbox?: HubConfig['outbox'];
  /** Response hooks the gateway runs (gateway/response-hooks.ts). */
  responseHooks?: GatewayOptions['responseHooks'];
  /** Keep computed statistics, referral figures and registry pages until the next write of their data (default on, as in service). */
  keptReads?: boolean;
  /** The gateway keeps whole answers while the subgraphs' generations stand still (default on, as in service). */
  keptAnswers?: boolean;
  /** The gateway's limits, rate limits and trusted documents (default: the defaults), and whether it has its lean path. */
  gateway?: Pick<GatewayOptions, 'settings' | 'leanPath' | 'rateLimitKeyPrefix'>;
  /** Every service's metrics settings over the defaults (operation names counted, the scrape's token). */
  metrics?: Partial<HubConfig['metrics']>;
}

export interface GraphQLResult {
  status: number;
  headers: Headers;
  body: {
    data?: any;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
    extensions?: Record<string, any>;
  };
}

export type Hub = Awaited<ReturnType<typeof startHub>>;

export async function startHub(options: HubOptions = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiefen-test-'));
  const base = loadConfig({
    JIEFEN_DATA_DIR: dataDir,
    GATEWAY_PORT: '0',
    NODE_ENV: 'test',
    CASES_PORT: String(await freePort()),
    INSTITUTIONS_PORT: String(await freePort()),
    REFERRALS_PORT: String(await freePort()),
  });
  const databases =
    !options.databaseUrls && TEST_STORE === 'postgres'
      ? await createDatabases(['cases', 'institutions', 'referrals'])
      : undefined;
  const config: HubConfig = {
    ...base,
    databaseUrls: options.databaseUrls ?? databases?.urls ?? {},
    jurisdiction: options.jurisdiction ?? base.jurisdiction,
    webhooks: options.webhooks ?? [],
    outbox: options.outbox ?? base.outbox,
    keptReads: options.keptReads ?? base.keptReads,
    keptAnswers: options.keptAnswers ?? base.keptAnswers,
    metrics: { ...base.metrics, ...options.metrics },
  };
  await seedDemo(config, {
    cases: options.cases ?? 200,
    institutions: options.institutions ?? 60,
    seed: options.seed ?? 7,
  });
  // Log lines are kept, so tests can read what the services logged.
  const logs: Record<string, unknown>[] = [];
  const sink = {
    write: (line: string) => {
      logs.push(JSON.parse(line));
    },
  };
  const logger = (service: string) => createLogger(service, 'info', sink);
  // Each service knows the others' addresses from the configuration; none needs another running to start.
  const institutions = await startInstitutionsService(config, logger('institutions'));
  const cases = await startCasesService(config, logger('cases'), {
    clock: options.clock,
    recordKeys: options.recordKeys,
  });
  const referrals = await startReferralsService(config, logger('referrals'));
  const gatewayConfig: HubConfig = {
    ...config,
    subgraphUrls: { cases: cases.url, institutions: institutions.url, referrals: referrals.url },
  };
  const gateway = await startGateway(gatewayConfig, logger('gateway'), {
    responseHooks: options.responseHooks,
    clock: options.clock,
    ...options.gateway,
  });
  const extraGateways: { close(): Promise<void> }[] = [];
  const counters = {
    cases: statementCounter(cases.knex),
    institutions: statementCounter(institutions.knex),
    referrals: statementCounter(referrals.knex),
  };

  async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<GraphQLResult> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: JSON.parse(text) };
  }

  const tokens = new Map<string, string>();
  async function token(role: string, org?: string, sub = `test-${role}`): Promise<string> {
    const key = `${role}:${org ?? ''}:${sub}`;
    if (!tokens.has(key)) tokens.set(key, await signDevToken({ sub, role, org }, config.jwt.secret!));
    return tokens.get(key)!;
  }

  return {
    config: gatewayConfig,
    dataDir,
    urls: { gateway: gateway.url, cases: cases.url, institutions: institutions.url, referrals: referrals.url },
    knex: { cases: cases.knex, institutions: institutions.knex, referrals: referrals.knex },
    counters,
    logs,
    token,
    post,
    /** A query through the gateway as a principal (`admin` unless told), or anonymously with `as: null`. */
    async query(
      query: string,
      variables: Record<string, unknown> = {},
      as: { role: string; org?: string; sub?: string } | null = { role: 'admin' },
    ): Promise<GraphQLResult> {
      const headers: Record<string, string> = as
        ? { authorization: `Bearer ${await token(as.role, as.org, as.sub)}` }
        : {};
      return post(gateway.url, { query, variables }, headers);
    },
    /** Another gateway process's equal over the same subgraphs, with its own options (it closes with the hub). */
    async startGateway(gatewayOptions: GatewayOptions = {}): Promise<string> {
      const another = await startGateway(gatewayConfig, logger('gateway'), gatewayOptions);
      extraGateways.push(another);
      return another.url;
    },
    async close() {
      await Promise.all(extraGateways.map((g) => g.close()));
      await gateway.close();
      await Promise.all([cases.close(), institutions.close(), referrals.close()]);
      await databases?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The data of a response that must have no errors (the errors are shown when it does). */
export function dataOf(result: GraphQLResult): any {
  if (result.body.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(result.body.errors)}`);
  return result.body.data;
}

export function codesOf(result: GraphQLResult): string[] {
  return (result.body.errors ?? []).map((e) => e.extensions?.code);
}
