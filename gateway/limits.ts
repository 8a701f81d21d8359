/**
 * The gateway's limits on a request, in one table: each checked before anything costly, on every request path, for
 * every caller (anonymous too). Refusals name the limit and its value (`LIMIT_EXCEEDED`, `extensions.limit` and
 * `extensions.max`; the body limit is answered 413 `PAYLOAD_TOO_LARGE`), never what the request held. The README's
 * "Limits" table is this one. The defaults fit every query of the README and the dashboard query several times over.
 */
import { ConfigError } from '../kit/config.js';

export const LIMITS = {
  bodyBytes: { variable: 'JIEFEN_LIMIT_BODY_BYTES', default: 1 << 20, bounds: 'bytes of a request body' },
  tokens: {
    variable: 'JIEFEN_LIMIT_TOKENS',
    default: 5_000,
    bounds: "lexical tokens of a document (graphql-js's parser stops at the limit)",
  },
  depth: { variable: 'JIEFEN_LIMIT_DEPTH', default: 12, bounds: 'nesting of selections, through fragments' },
  aliases: { variable: 'JIEFEN_LIMIT_ALIASES', default: 30, bounds: 'aliases in an operation, through fragments' },
  rootFields: {
    variable: 'JIEFEN_LIMIT_ROOT_FIELDS',
    default: 20,
    bounds: 'fields at the root of an operation, through fragments',
  },
  directives: {
    variable: 'JIEFEN_LIMIT_DIRECTIVES',
    default: 30,
    bounds: 'directives in an operation, through fragments',
  },
  selections: {
    variable: 'JIEFEN_LIMIT_SELECTIONS',
    default: 1_000,
    bounds: 'field selections in an operation, each fragment counted where it is spread',
  },
  repeatedFields: {
    variable: 'JIEFEN_LIMIT_REPEATED_FIELDS',
    default: 5,
    bounds: 'selections of one response name in one selection set',
  },
  cost: {
    variable: 'JIEFEN_LIMIT_COST',
    default: 50_000,
    bounds:
      'objects an answer may hold: each object field counts once, times the page sizes (`first`, or its default) of the lists around it',
  },
} as const;

export type LimitName = keyof typeof LIMITS;
export type Limits = Record<LimitName, number>;

export const DEFAULT_LIMITS: Limits = Object.fromEntries(
  Object.entries(LIMITS).map(([name, limit]) => [name, limit.default]),
) as Limits;

/** The limits in force: each from its variable, or its default. */
export function limitsFrom(env: NodeJS.ProcessEnv): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [name, limit] of Object.entries(LIMITS) as [LimitName, (typeof LIMITS)[LimitName]][]) {
    const raw = env[limit.variable];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1)
      throw new ConfigError(`${limit.variable} must be a whole number of 1 or more`);
    limits[name] = value;
  }
  return limits;
}
