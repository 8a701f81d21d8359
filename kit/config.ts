/**
 * All configuration, read from the environment in one place. Every variable is listed in the README.
 * Development defaults exist for secrets only outside production; production refuses to start without them.
 */
import type { WebhookSubscriber } from './outbox.js';
import type { MetricsSettings } from './metrics.js';

export interface HubConfig {
  production: boolean;
  host: string;
  dataDir: string;
  logLevel: string;
  ports: { gateway: number; cases: number; institutions: number; referrals: number };
  /** Database URL per subgraph; undefined means the embedded sqlite file under dataDir. */
  databaseUrls: { cases?: string; institutions?: string; referrals?: string };
  /** Where the gateway finds each subgraph. */
  subgraphUrls: { cases: string; institutions: string; referrals: string };
  /**
   * How long the gateway waits for each subgraph's answer to one call (`CASES_TIMEOUT_MS`, `INSTITUTIONS_TIMEOUT_MS`,
   * `REFERRALS_TIMEOUT_MS`; default 5000): past it, that subgraph's fields are null with a SUBGRAPH_UNAVAILABLE error.
   */
  subgraphTimeoutsMs: { cases: number; institutions: number; referrals: number };
  /** User tokens: HS256 with this secret in development, or a JWKS in production. */
  jwt: { secret?: string; jwksUrl?: string; issuer?: string; audience?: string };
  /** Gateway-to-subgraph tokens. */
  internalSecret: string;
  /** Key that seals pagination cursors. */
  cursorSecret: string;
  /** Prefix of unified case numbers (the region's administrative code). */
  regionCode: string;
  /** The jurisdiction profile whose time limits apply (subgraphs/cases/deadlines/jurisdictions.json). */
  jurisdiction: string;
  /** Partner systems that receive every case and referral event as a signed webhook (`JIEFEN_WEBHOOKS`). */
  webhooks: WebhookSubscriber[];
  /** How often the outbox relay looks for new events, and its retry backoff (first delay, longest delay). */
  outbox: { pollMs: number; retryBaseMs: number; retryMaxMs: number };
  /** Master key of party pseudonyms (a key per consumer is derived from it). */
  pseudonymKey: string;
  /** Days the party-data audit log is kept (at least six months: the Cybersecurity Law's floor for network logs). */
  auditRetentionDays: number;
  /** The gateway's second enforcement of the privacy policy; only a benchmark outside production turns it off. */
  gatewayRedaction: boolean;
  /** Statistics cells with fewer cases than this are withheld from principals without clearance. */
  suppressionThreshold: number;
  /** Reads kept in memory under their data's generation (kit/generation.ts): case statistics, referral figures, registry pages (JIEFEN_KEPT_READS, default on; off computes every answer). */
  keptReads: boolean;
  /**
   * The gateway keeps whole answers to statistics and registry queries while the subgraphs' generations say nothing
   * changed (gateway/kept-answers.ts; JIEFEN_KEPT_ANSWERS, default on).
   */
  keptAnswers: boolean;
  /**
   * `GET /metrics` of every service (kit/metrics.ts): the token a scrape presents (`JIEFEN_METRICS_TOKEN`) and the
   * operation names counted under their own (`JIEFEN_METRICS_OPERATIONS`).
   */
  metrics: MetricsSettings;
  /** Origins whose browser pages may call the gateway (`JIEFEN_CORS_ORIGINS`); none: same-origin pages only. */
  corsOrigins: string[];
}

/** The processes of the hub: each loads only the configuration it needs (`loadConfig(env, service)`). */
export type ServiceName = 'gateway' | 'cases' | 'institutions' | 'referrals';

/**
 * Which secrets each service needs, so production demands of each process only its own: a subgraph never holds
 * the identity provider's settings, the gateway never the pseudonym key or the cursor key.
 */
export const SERVICE_SECRETS: Readonly<Record<ServiceName, readonly string[]>> = {
  gateway: ['JIEFEN_INTERNAL_SECRET', 'JIEFEN_JWKS_URL'],
  cases: ['JIEFEN_INTERNAL_SECRET', 'JIEFEN_CURSOR_SECRET', 'JIEFEN_PSEUDONYM_KEY'],
  institutions: ['JIEFEN_INTERNAL_SECRET', 'JIEFEN_CURSOR_SECRET'],
  referrals: ['JIEFEN_INTERNAL_SECRET', 'JIEFEN_CURSOR_SECRET'],
};

export const DEV_JWT_SECRET = 'jiefen-dev-user-token-secret';
export const DEV_INTERNAL_SECRET = 'jiefen-dev-internal-token-secret';
export const DEV_CURSOR_SECRET = 'jiefen-dev-cursor-secret';
export const DEV_PSEUDONYM_KEY = 'jiefen-dev-pseudonym-key';
/**
 * A subgraph call's default deadline: above the slowest answer measured on a healthy hub (a cold dashboard on a
 * million cases, p95 1.5 s), short enough that a hung office costs a caller seconds, not undici's 300.
 */
export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 5000;
/** Six months, rounded up: the shortest retention the audit log may be configured with. */
export const MIN_AUDIT_RETENTION_DAYS = 183;

export class ConfigError extends Error {}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new ConfigError(`${name} must be a port number (0-65535), got '${raw}'`);
  }
  return value;
}

/** A secret's value; in production one the service does not need is left unset, and reading it is an error. */
function secret(
  env: NodeJS.ProcessEnv,
  name: string,
  devDefault: string,
  production: boolean,
  needed: (name: string) => boolean,
): () => string {
  const value = env[name];
  if (value) return () => value;
  if (!production) return () => devDefault;
  if (needed(name)) throw new ConfigError(`${name} must be set in production`);
  return () => {
    throw new ConfigError(`${name} is not set: this service was not expected to need it`);
  };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError(`${name} must be a whole number of 1 or more, got '${raw}'`);
  return value;
}

function regionCode(value: string): string {
  if (!/^\d{6}$/.test(value))
    throw new ConfigError(`JIEFEN_REGION_CODE must be a 6-digit administrative code, got '${value}'`);
  return value;
}

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError(`${name} must be a whole number of milliseconds, got '${raw}'`);
  return value;
}

/** `JIEFEN_WEBHOOKS`: a JSON array of `{ "name", "url", "secret", "types"? }`. */
function webhooks(raw: string | undefined): WebhookSubscriber[] {
  if (!raw) return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new ConfigError('JIEFEN_WEBHOOKS must be a JSON array of { "name", "url", "secret", "types"? }');
  }
  if (!Array.isArray(list)) throw new ConfigError('JIEFEN_WEBHOOKS must be a JSON array');
  const names = new Set<string>();
  return list.map((item: Record<string, unknown>, i) => {
    const { name, url, secret, types } = item ?? {};
    if (typeof name !== 'string' || !/^[\w.-]{1,100}$/.test(name))
      throw new ConfigError(`JIEFEN_WEBHOOKS[${i}].name must be 1-100 letters, digits, '.', '_' or '-'`);
    if (names.has(name)) throw new ConfigError(`JIEFEN_WEBHOOKS[${i}].name '${name}' is used twice`);
    names.add(name);
    if (typeof url !== 'string' || !/^https?:\/\//.test(url))
      throw new ConfigError(`JIEFEN_WEBHOOKS[${i}].url must be an http(s) URL`);
    if (typeof secret !== 'string' || secret.length < 16)
      throw new ConfigError(`JIEFEN_WEBHOOKS[${i}].secret must be at least 16 characters`);
    if (types !== undefined && !(Array.isArray(types) && types.every((t) => typeof t === 'string')))
      throw new ConfigError(`JIEFEN_WEBHOOKS[${i}].types must be a list of event type prefixes`);
    return { name, url, secret, ...(types ? { types: types as string[] } : {}) };
  });
}

/** `JIEFEN_CORS_ORIGINS`: origins (`https://host[:port]`), separated by commas. */
function corsOrigins(raw: string | undefined): string[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
    .map((origin, i) => {
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
        throw new ConfigError(
          `JIEFEN_CORS_ORIGINS entry ${i + 1} must be an origin: http(s)://host[:port], without a path or a trailing slash`,
        );
      }
      return origin;
    });
}

/** `JIEFEN_METRICS_OPERATIONS`: operation names, separated by commas. */
function metricsOperations(raw: string | undefined): string[] {
  if (!raw) return [];
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const bad = names.findIndex((name) => !/^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(name));
  if (bad !== -1)
    throw new ConfigError(
      `JIEFEN_METRICS_OPERATIONS must list GraphQL operation names separated by commas; entry ${bad + 1} is not one`,
    );
  return names;
}

function auditRetentionDays(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 365;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < MIN_AUDIT_RETENTION_DAYS) {
    throw new ConfigError(
      `JIEFEN_AUDIT_RETENTION_DAYS must be a whole number of days, at least ${MIN_AUDIT_RETENTION_DAYS} (six months), got '${raw}'`,
    );
  }
  return days;
}

/** A switch that is on unless set to 'off'. */
function onUnlessOff(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === 'on') return true;
  if (raw !== 'off') throw new ConfigError(`${name} must be 'on' or 'off', got '${raw}'`);
  return false;
}

function gatewayRedaction(raw: string | undefined, production: boolean): boolean {
  if (raw === undefined || raw === '' || raw === 'on') return true;
  if (raw !== 'off') throw new ConfigError(`JIEFEN_GATEWAY_REDACTION must be 'on' or 'off', got '${raw}'`);
  if (production)
    throw new ConfigError('JIEFEN_GATEWAY_REDACTION=off is for benchmarks only and refused in production');
  return false;
}

/** `JIEFEN_KEPT_READS`, or its former name (it covers more than statistics), read with a deprecation warning. */
function keptReadsVariable(env: NodeJS.ProcessEnv): string {
  if (env.JIEFEN_KEPT_READS !== undefined || env.JIEFEN_STATISTICS_CACHE === undefined) return 'JIEFEN_KEPT_READS';
  process.emitWarning(
    'JIEFEN_STATISTICS_CACHE is now JIEFEN_KEPT_READS: the old name still works, rename it',
    'DeprecationWarning',
  );
  return 'JIEFEN_STATISTICS_CACHE';
}

/** The configuration of `service` (every service's, for a process that runs them all: `npm start`, tests). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, service?: ServiceName): HubConfig {
  const production = env.NODE_ENV === 'production';
  const needed = (name: string) => service === undefined || SERVICE_SECRETS[service].includes(name);
  const host = env.JIEFEN_HOST || '127.0.0.1';
  const ports = {
    gateway: port(env, 'GATEWAY_PORT', 4000),
    cases: port(env, 'CASES_PORT', 4001),
    institutions: port(env, 'INSTITUTIONS_PORT', 4002),
    referrals: port(env, 'REFERRALS_PORT', 4003),
  };
  const local = (p: number) => `http://${host.includes(':') ? `[${host}]` : host}:${p}/graphql`;
  const jwt = {
    secret: env.JIEFEN_JWT_SECRET || (production ? undefined : DEV_JWT_SECRET),
    jwksUrl: env.JIEFEN_JWKS_URL || undefined,
    issuer: env.JIEFEN_JWT_ISSUER || undefined,
    audience: env.JIEFEN_JWT_AUDIENCE || undefined,
  };
  if (production && needed('JIEFEN_JWKS_URL') && !(jwt.jwksUrl && jwt.issuer && jwt.audience)) {
    throw new ConfigError(
      'production needs JIEFEN_JWKS_URL, JIEFEN_JWT_ISSUER and JIEFEN_JWT_AUDIENCE to verify user tokens',
    );
  }
  const internalSecret = secret(env, 'JIEFEN_INTERNAL_SECRET', DEV_INTERNAL_SECRET, production, needed);
  const cursorSecret = secret(env, 'JIEFEN_CURSOR_SECRET', DEV_CURSOR_SECRET, production, needed);
  const pseudonymKey = secret(env, 'JIEFEN_PSEUDONYM_KEY', DEV_PSEUDONYM_KEY, production, needed);
  return {
    production,
    host,
    dataDir: env.JIEFEN_DATA_DIR || './data',
    logLevel: env.LOG_LEVEL || 'info',
    ports,
    databaseUrls: {
      cases: env.CASES_DATABASE_URL || undefined,
      institutions: env.INSTITUTIONS_DATABASE_URL || undefined,
      referrals: env.REFERRALS_DATABASE_URL || undefined,
    },
    subgraphUrls: {
      cases: env.CASES_URL || local(ports.cases),
      institutions: env.INSTITUTIONS_URL || local(ports.institutions),
      referrals: env.REFERRALS_URL || local(ports.referrals),
    },
    subgraphTimeoutsMs: {
      cases: milliseconds(env, 'CASES_TIMEOUT_MS', DEFAULT_SUBGRAPH_TIMEOUT_MS),
      institutions: milliseconds(env, 'INSTITUTIONS_TIMEOUT_MS', DEFAULT_SUBGRAPH_TIMEOUT_MS),
      referrals: milliseconds(env, 'REFERRALS_TIMEOUT_MS', DEFAULT_SUBGRAPH_TIMEOUT_MS),
    },
    jwt,
    get internalSecret() {
      return internalSecret();
    },
    get cursorSecret() {
      return cursorSecret();
    },
    regionCode: regionCode(env.JIEFEN_REGION_CODE || '310000'),
    jurisdiction: env.JIEFEN_JURISDICTION || 'shanghai',
    webhooks: webhooks(env.JIEFEN_WEBHOOKS),
    outbox: {
      pollMs: milliseconds(env, 'JIEFEN_OUTBOX_POLL_MS', 1000),
      retryBaseMs: milliseconds(env, 'JIEFEN_WEBHOOK_RETRY_BASE_MS', 2000),
      retryMaxMs: milliseconds(env, 'JIEFEN_WEBHOOK_RETRY_MAX_MS', 300_000),
    },
    get pseudonymKey() {
      return pseudonymKey();
    },
    auditRetentionDays: auditRetentionDays(env.JIEFEN_AUDIT_RETENTION_DAYS),
    gatewayRedaction: gatewayRedaction(env.JIEFEN_GATEWAY_REDACTION, production),
    suppressionThreshold: positiveInteger(env, 'JIEFEN_SUPPRESSION_THRESHOLD', 5),
    keptReads: onUnlessOff(env, keptReadsVariable(env)),
    keptAnswers: onUnlessOff(env, 'JIEFEN_KEPT_ANSWERS'),
    metrics: {
      token: env.JIEFEN_METRICS_TOKEN || undefined,
      operations: metricsOperations(env.JIEFEN_METRICS_OPERATIONS),
      production,
    },
    corsOrigins: corsOrigins(env.JIEFEN_CORS_ORIGINS),
  };
}
