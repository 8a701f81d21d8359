/**
 * Rate limits per principal, as the pipeline's first request stage: each principal (an anonymous caller: each
 * address) may send its role's requests a second, with a burst allowance over ten seconds on top
 * (rate-limiter-flexible: a limiter per second backed by a burst limiter). Past both, the request is answered 429
 * RATE_LIMITED with `Retry-After` and `extensions.retryAfter`, before its body is read. A request refused for what it
 * sent (too large a body, a document past a limit, one that does not parse or validate) counts `refusalWeight`
 * requests: an abusive caller runs out of budget ten times sooner, and its later requests cost only the arrival check.
 * With `JIEFEN_REDIS_URL` the counts live in Redis, so every gateway process enforces one limit; while Redis cannot
 * be reached each process counts alone (the same limits, in memory) and says so in its log: never an open door.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  BurstyRateLimiter,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { ConfigError } from '../kit/config.js';
import { rateLimited } from '../kit/errors.js';
import type { Logger } from '../kit/log.js';
import { PUBLIC_ROLE, ROLES, type Principal } from '../kit/principal.js';
import type { Stage } from './pipeline.js';

export interface RateLimit {
  /** Requests a second, sustained. */
  perSecond: number;
  /** Requests over ten seconds allowed on top of the sustained rate. */
  burst: number;
  /** Requests a refused one counts as. */
  refusalWeight: number;
}

/** The default budget of each role (and of anonymous callers, per address): `JIEFEN_RATE_LIMITS` overrides it. */
export const RATE_LIMITS: Readonly<Record<string, RateLimit>> = {
  [PUBLIC_ROLE]: { perSecond: 20, burst: 100, refusalWeight: 10 },
  ...Object.fromEntries(ROLES.map((role) => [role, { perSecond: 200, burst: 1000, refusalWeight: 10 }])),
};

/** `JIEFEN_RATE_LIMITS`: `off`, or a JSON object of role → `{ "perSecond", "burst", "refusalWeight"? }` over the defaults. */
export function rateLimitsFrom(raw: string | undefined): Record<string, RateLimit> | null {
  if (raw === 'off') return null;
  if (raw === undefined || raw === '') return { ...RATE_LIMITS };
  let given: unknown;
  try {
    given = JSON.parse(raw);
  } catch {
    throw new ConfigError('JIEFEN_RATE_LIMITS must be off or a JSON object of role to { "perSecond", "burst" }');
  }
  if (!given || typeof given !== 'object' || Array.isArray(given))
    throw new ConfigError('JIEFEN_RATE_LIMITS must be a JSON object of role to { "perSecond", "burst" }');
  const limits = { ...RATE_LIMITS };
  for (const [role, limit] of Object.entries(given)) {
    if (!(role in RATE_LIMITS))
      throw new ConfigError(`JIEFEN_RATE_LIMITS names an unknown role (roles: ${Object.keys(RATE_LIMITS).join(', ')})`);
    const { perSecond, burst, refusalWeight = RATE_LIMITS[role]!.refusalWeight } = (limit ?? {}) as Partial<RateLimit>;
    if (!Number.isInteger(perSecond) || perSecond! < 1 || !Number.isInteger(burst) || burst! < 1)
      throw new ConfigError(`JIEFEN_RATE_LIMITS.${role} needs whole numbers perSecond and burst, each 1 or more`);
    if (!Number.isInteger(refusalWeight) || refusalWeight < 1)
      throw new ConfigError(`JIEFEN_RATE_LIMITS.${role}.refusalWeight must be a whole number, 1 or more`);
    limits[role] = { perSecond: perSecond!, burst: burst!, refusalWeight };
  }
  return limits;
}

export interface RateLimiterOptions {
  limits: Record<string, RateLimit>;
  redisUrl?: string;
  /** Prefix of the keys in Redis (tests keep apart with it). */
  keyPrefix?: string;
  logger: Logger;
  /** Told of each request refused for its caller's spent budget (the gateway counts them by role). */
  onRefusal?(role: string): void;
}

/** The key a principal's requests are counted under: never the raw subject, which need not be short or plain. */
function keyOf(principal: Principal, remoteAddress: string): string {
  const who =
    principal.role === PUBLIC_ROLE
      ? `address:${remoteAddress}`
      : `${principal.role}:${principal.org ?? ''}:${principal.sub}`;
  return createHash('sha256').update(who).digest('base64url').slice(0, 22);
}

export function rateLimitStage<TContext>(
  options: RateLimiterOptions,
): Stage<TContext> & { connected(): Promise<void>; close(): Promise<void> } {
  const prefix = options.keyPrefix ?? 'jiefen-rate';
  const redis = options.redisUrl
    ? new Redis(options.redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 1000,
        lazyConnect: false,
      })
    : undefined;
  let alone = false;
  // ioredis reports every failed reconnect: one warning per outage is enough.
  redis?.on('error', () => {
    if (alone) return;
    alone = true;
    options.logger.warn(
      'rate limits: Redis cannot be reached, this gateway process counts requests alone until it can',
    );
  });
  redis?.on('ready', () => {
    if (alone) options.logger.info('rate limits: Redis reached again, limits are shared');
    alone = false;
  });
  interface RoleLimiter {
    bursty: BurstyRateLimiter;
    windows: RateLimiterAbstract[];
    limit: RateLimit;
  }
  const limiters = new Map<string, RoleLimiter>();
  const limiterOf = (role: string): RoleLimiter => {
    let limiter = limiters.get(role);
    if (limiter) return limiter;
    const limit = options.limits[role] ?? options.limits[PUBLIC_ROLE]!;
    const make = (points: number, duration: number, name: string): RateLimiterAbstract => {
      const keyPrefix = `${prefix}:${role}:${name}`;
      const memory = new RateLimiterMemory({ points, duration, keyPrefix });
      return redis
        ? new RateLimiterRedis({
            storeClient: redis,
            points,
            duration,
            keyPrefix,
            insuranceLimiter: memory,
            rejectIfRedisNotReady: true,
          })
        : memory;
    };
    const windows = [make(limit.perSecond, 1, 'second'), make(limit.burst, 10, 'burst')];
    limiter = { bursty: new BurstyRateLimiter(windows[0]!, windows[1]!), windows, limit };
    limiters.set(role, limiter);
    return limiter;
  };
  return {
    name: 'rate limits',
    async arrival(info) {
      try {
        await limiterOf(info.principal.role).bursty.consume(keyOf(info.principal, info.remoteAddress));
      } catch (refusal) {
        if (refusal instanceof RateLimiterRes) {
          options.onRefusal?.(info.principal.role);
          throw rateLimited(Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)));
        }
        throw refusal;
      }
    },
    async refused(info) {
      const { windows, limit } = limiterOf(info.principal.role);
      const key = keyOf(info.principal, info.remoteAddress);
      // The arrival already counted one; a charge that cannot be recorded (Redis gone between the two) is not an error.
      if (limit.refusalWeight > 1)
        await Promise.all(windows.map((window) => window.penalty(key, limit.refusalWeight - 1).catch(() => undefined)));
    },
    /** Resolves once Redis is reached, or after a second without it (the limits then hold per process). */
    connected() {
      if (!redis || redis.status === 'ready') return Promise.resolve();
      return new Promise<void>((done) => {
        const timer = setTimeout(done, 1000);
        redis.once('ready', () => {
          clearTimeout(timer);
          done();
        });
      });
    },
    async close() {
      redis?.disconnect();
    },
  };
}
