/**
 * The gateway's own settings, read from the environment (every variable is in the README): its limits
 * (gateway/limits.ts), rate limits (gateway/rate-limits.ts), the Redis that shares them, and trusted documents.
 */
import { limitsFrom, DEFAULT_LIMITS, type Limits } from './limits.js';
import { rateLimitsFrom, type RateLimit } from './rate-limits.js';
import { readTrustedDocuments } from './persisted-documents.js';

export interface GatewaySettings {
  limits: Limits;
  /** Null: no rate limits (`JIEFEN_RATE_LIMITS=off`, for benchmarks). */
  rateLimits: Record<string, RateLimit> | null;
  /** Shares rate-limit counts between gateway processes (`JIEFEN_REDIS_URL`). */
  redisUrl?: string;
  /** Registered documents by id: only these are served (`JIEFEN_TRUSTED_DOCUMENTS`). */
  trustedDocuments?: Map<string, string>;
}

export function loadGatewaySettings(env: NodeJS.ProcessEnv = process.env): GatewaySettings {
  return {
    limits: limitsFrom(env),
    rateLimits: rateLimitsFrom(env.JIEFEN_RATE_LIMITS),
    redisUrl: env.JIEFEN_REDIS_URL || undefined,
    trustedDocuments: env.JIEFEN_TRUSTED_DOCUMENTS ? readTrustedDocuments(env.JIEFEN_TRUSTED_DOCUMENTS) : undefined,
  };
}

export const DEFAULT_GATEWAY_SETTINGS: GatewaySettings = {
  limits: DEFAULT_LIMITS,
  rateLimits: rateLimitsFrom(undefined),
};
