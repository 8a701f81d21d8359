/** Resolvers of the referrals subgraph: referrals, and what it contributes to Case and Institution. */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { Kind, type GraphQLResolveInfo } from 'graphql';
import { DateTime } from '../../kit/scalars.js';
import type { CursorCodec, PageArgs } from '../../kit/connection.js';
import type { Principal } from '../../kit/principal.js';
import type { Logger } from '../../kit/log.js';
import type { ReferralFilter, ReferralRecord, ReferralStore } from './store.js';
import type { ReferralLoaders } from './loaders.js';
import type { ReferralCommands, RequestReferralArgs } from './commands.js';
import type { Caller } from '../../kit/principal.js';
import { confirmsAgreement } from './policy.js';
import { badInput } from '../../kit/errors.js';
import type { ReferralPrivacy } from './privacy.js';

export interface ReferralsContext {
  principal: Principal;
  requestId: string;
  logger: Logger;
  store: ReferralStore;
  cursors: CursorCodec;
  loaders: ReferralLoaders;
  commands: ReferralCommands;
  caller: Caller;
  privacy: ReferralPrivacy;
}

type Move = { id: string; expectedVersion: number; idempotencyKey?: string | null };

type ListArgs = PageArgs & { filter?: ReferralFilter | null };

const institution = (id: string) => ({ __typename: 'Institution', id });

export const resolvers: GraphQLResolverMap<ReferralsContext> = {
  DateTime,
  Query: {
    referral: (_: unknown, { id }: { id: string }, ctx: ReferralsContext) => ctx.loaders.referralById.load(id),
    referralTargetsOf: async (_: unknown, { caseIds }: { caseIds: string[] }, ctx: ReferralsContext) => {
      const referrals = await ctx.store.ofCases(caseIds.slice(0, 1000));
      return caseIds.map((caseId) => ({
        caseId,
        targetIds: [
          ...new Set((referrals.get(caseId) ?? []).filter((r) => r.status !== 'DECLINED').map((r) => r.targetId)),
        ],
      }));
    },
    referrals: async (_: unknown, args: ListArgs, ctx: ReferralsContext) => {
      const filter = args.filter ?? {};
      const window = ctx.cursors.window('referrals', args);
      const rows = await ctx.store.list(filter, window);
      return ctx.cursors.connection(
        'referrals',
        window,
        rows,
        (r) => r.seq,
        () => ctx.store.count(filter),
      );
    },
  },
  Mutation: {
    requestReferral: (_: unknown, args: RequestReferralArgs, ctx: ReferralsContext) =>
      ctx.commands.request(ctx.caller, args),
    acceptReferral: (_: unknown, a: Move, ctx: ReferralsContext) =>
      ctx.commands.accept(ctx.caller, a.id, a.expectedVersion, a.idempotencyKey),
    declineReferral: (_: unknown, a: Move & { reason: string }, ctx: ReferralsContext) =>
      ctx.commands.decline(ctx.caller, a.id, a.reason, a.expectedVersion, a.idempotencyKey),
    decideReferral: (
      _: unknown,
      a: Move & { result: string; decidedAt: string; documentNumber: string },
      ctx: ReferralsContext,
    ) =>
      ctx.commands.decide(
        ctx.caller,
        a.id,
        a.result,
        a.decidedAt,
        a.documentNumber,
        a.expectedVersion,
        a.idempotencyKey,
      ),
  },
  Referral: {
    __resolveReference: (ref: { id: string }, ctx: ReferralsContext) => ctx.loaders.referralById.load(ref.id),
    case: (r: ReferralRecord) => ({ __typename: 'Case', id: r.caseId }),
    target: (r: ReferralRecord) => institution(r.targetId),
    requestedBy: (r: ReferralRecord) => institution(r.requestedBy),
    history: async (r: ReferralRecord, _: unknown, ctx: ReferralsContext) =>
      (await ctx.loaders.history.load(r.seq)).map((e) => ({ ...e, referral: r })),
  },
  Case: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    referrals: (c: { id: string }, _: unknown, ctx: ReferralsContext) => ctx.loaders.referralsOfCase.load(c.id),
    outcomeConfirmed: async (c: { id: string }, _: unknown, ctx: ReferralsContext) =>
      (await ctx.loaders.referralsOfCase.load(c.id)).some(
        (r) => r.status === 'DECIDED' && confirmsAgreement(r.kind, r.result),
      ),
  },
  Institution: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    referralsReceived: async (i: { id: string }, args: ListArgs, ctx: ReferralsContext, info: GraphQLResolveInfo) => {
      const filter = args.filter ?? {};
      const window = ctx.cursors.window('Institution.referralsReceived', args);
      // A dashboard asks only for the count: then no page is read (ranking every referral of hundreds of targets).
      if (asksOnlyTotalCount(info)) return { totalCount: () => ctx.loaders.receivedCount(filter).load(i.id) };
      const rows = await ctx.loaders.received({ filter, window }).load(i.id);
      return ctx.cursors.connection(
        'Institution.referralsReceived',
        window,
        rows,
        (r) => r.seq,
        () => ctx.loaders.receivedCount(filter).load(i.id),
      );
    },
    referralStats: (
      i: { id: string },
      { from, to }: { from: string; to: string },
      ctx: ReferralsContext,
      info: GraphQLResolveInfo,
    ) => {
      if (from >= to) throw badInput('from', 'must be before to');
      // Without the median, the figures are counted in SQL rather than read referral by referral.
      return ctx.loaders.stats({ period: { from, to }, median: !asksOnly(info, COUNTED_STATS) }).load(i.id);
    },
  },
};

/** The connection's selection is plain fields among totalCount and __typename (no fragments to read through). */
function asksOnlyTotalCount(info: GraphQLResolveInfo): boolean {
  return asksOnly(info, ONLY_TOTAL_COUNT);
}

const ONLY_TOTAL_COUNT = new Set(['totalCount', '__typename']);
/** ReferralStats' fields counted in SQL: all but the median. */
const COUNTED_STATS = new Set(['received', 'accepted', 'declined', 'decided', 'decidedByResult', '__typename']);

/** The field's selection is plain fields among `names` (no fragments to read through: with one, false). */
function asksOnly(info: GraphQLResolveInfo, names: ReadonlySet<string>): boolean {
  return info.fieldNodes.every(
    (node) => node.selectionSet?.selections.every((s) => s.kind === Kind.FIELD && names.has(s.name.value)) ?? false,
  );
}
