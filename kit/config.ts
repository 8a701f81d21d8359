/**
 * All configuration, read from the environment in one place. Every variable is listed in the README.
 * Development defaults exist for secrets only outside production; production refuses to start without them.
 */
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
  /** Statistics cells with fewer cases than this are withheld from principals without clearance. */
  suppressionThreshold: number;
}

export const DEV_JWT_SECRET = 'jiefen-dev-user-token-secret';
export const DEV_INTERNAL_SECRET = 'jiefen-dev-internal-token-secret';
export const DEV_CURSOR_SECRET = 'jiefen-dev-cursor-secret';

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

function secret(env: NodeJS.ProcessEnv, name: string, devDefault: string, production: boolean): string {
  const value = env[name];
  if (value) return value;
  if (production) throw new ConfigError(`${name} must be set in production`);
  return devDefault;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${name} must be a whole number of 1 or more, got '${raw}'`);
  return value;
}

function regionCode(value: string): string {
  if (!/^\d{6}$/.test(value)) throw new ConfigError(`JIEFEN_REGION_CODE must be a 6-digit administrative code, got '${value}'`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): HubConfig {
  const production = env.NODE_ENV === 'production';
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
  if (production && !(jwt.jwksUrl && jwt.issuer && jwt.audience)) {
    throw new ConfigError('production needs JIEFEN_JWKS_URL, JIEFEN_JWT_ISSUER and JIEFEN_JWT_AUDIENCE to verify user tokens');
  }
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
    jwt,
    internalSecret: secret(env, 'JIEFEN_INTERNAL_SECRET', DEV_INTERNAL_SECRET, production),
    cursorSecret: secret(env, 'JIEFEN_CURSOR_SECRET', DEV_CURSOR_SECRET, production),
    regionCode: regionCode(env.JIEFEN_REGION_CODE || '310000'),
    jurisdiction: env.JIEFEN_JURISDICTION || 'shanghai',
    suppressionThreshold: positiveInteger(env, 'JIEFEN_SUPPRESSION_THRESHOLD', 5),
  };
}
