/** Resolvers of the referrals subgraph: referrals, and what it contributes to Case and Institution. */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { DateTime } from '../../kit/scalars.js';
import type { CursorCodec, PageArgs } from '../../kit/connection.js';
import type { Principal } from '../../kit/principal.js';
import type { Logger } from '../../kit/log.js';
import type { ReferralFilter, ReferralRecord, ReferralStore } from './store.js';
import type { ReferralLoaders } from './loaders.js';

export interface ReferralsContext {
  principal: Principal;
  requestId: string;
  logger: Logger;
  store: ReferralStore;
  cursors: CursorCodec;
  loaders: ReferralLoaders;
}

type ListArgs = PageArgs & { filter?: ReferralFilter | null };

/** Results that confirm a mediated agreement. */
const CONFIRMING_RESULTS = new Set(['CONFIRMED']);
const CONFIRMATION_KINDS = new Set(['JUDICIAL_CONFIRMATION', 'ARBITRATION_CONFIRMATION']);

const institution = (id: string) => ({ __typename: 'Institution', id });

export const resolvers: GraphQLResolverMap<ReferralsContext> = {
  DateTime,
  Query: {
    referral: (_: unknown, { id }: { id: string }, ctx: ReferralsContext) => ctx.loaders.referralById.load(id),
    referralTargetsOf: async (_: unknown, { caseIds }: { caseIds: string[] }, ctx: ReferralsContext) => {
      const referrals = await ctx.store.ofCases(caseIds.slice(0, 1000));
      return caseIds.map((caseId) => ({
        caseId,
        targetIds: [...new Set((referrals.get(caseId) ?? []).filter((r) => r.status !== 'DECLINED').map((r) => r.targetId))],
      }));
    },
    referrals: async (_: unknown, args: ListArgs, ctx: ReferralsContext) => {
      const filter = args.filter ?? {};
      const window = ctx.cursors.window('referrals', args);
      const rows = await ctx.store.list(filter, window);
      return ctx.cursors.connection('referrals', window, rows, (r) => r.seq, () => ctx.store.count(filter));
    },
  },
  Referral: {
    __resolveReference: (ref: { id: string }, ctx: ReferralsContext) => ctx.loaders.referralById.load(ref.id),
    case: (r: ReferralRecord) => ({ __typename: 'Case', id: r.caseId }),
    target: (r: ReferralRecord) => institution(r.targetId),
    requestedBy: (r: ReferralRecord) => institution(r.requestedBy),
  },
  Case: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    referrals: (c: { id: string }, _: unknown, ctx: ReferralsContext) => ctx.loaders.referralsOfCase.load(c.id),
    outcomeConfirmed: async (c: { id: string }, _: unknown, ctx: ReferralsContext) =>
      (await ctx.loaders.referralsOfCase.load(c.id)).some((r) => CONFIRMATION_KINDS.has(r.kind) && CONFIRMING_RESULTS.has(r.result ?? '')),
  },
  Institution: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    referralsReceived: async (i: { id: string }, args: ListArgs, ctx: ReferralsContext) => {
      const filter = args.filter ?? {};
      const window = ctx.cursors.window('Institution.referralsReceived', args);
      const rows = await ctx.loaders.received({ filter, window }).load(i.id);
      return ctx.cursors.connection('Institution.referralsReceived', window, rows, (r) => r.seq,
        () => ctx.loaders.receivedCount(filter).load(i.id));
    },
  },
};
