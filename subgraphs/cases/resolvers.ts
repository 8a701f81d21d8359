/** Resolvers of the cases subgraph: reads, joins to institutions, and references from other subgraphs. */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { DateTime } from '../../kit/scalars.js';
import type { CursorCodec, PageArgs } from '../../kit/connection.js';
import type { Principal } from '../../kit/principal.js';
import type { Logger } from '../../kit/log.js';
import { checkCaseFilter, type CaseFilter, type CaseRecord, type CaseStore } from './store.js';
import type { CaseLoaders } from './loaders.js';
import type { CaseCommands, Caller } from './commands.js';
import type { SubmitCaseInput } from './validation.js';
import type { RequestStatistics } from './statistics/statistics.js';
import { CaseStatsRow, institutionCaseStats, statisticsQuery } from './statistics/resolvers.js';

export interface CasesContext {
  principal: Principal;
  requestId: string;
  logger: Logger;
  store: CaseStore;
  cursors: CursorCodec;
  loaders: CaseLoaders;
  commands: CaseCommands;
  caller: Caller;
  clock: () => Date;
  statistics: RequestStatistics;
}

type Change = { id: string; expectedVersion: number; idempotencyKey?: string | null };

type ListArgs = PageArgs & { filter?: CaseFilter | null };

const institutionRef = (id: string | null) => (id ? { __typename: 'Institution', id } : null);

export const resolvers: GraphQLResolverMap<CasesContext> = {
  DateTime,
  Query: {
    case: (_: unknown, { id }: { id: string }, ctx: CasesContext) => ctx.loaders.caseById.load(id),
    cases: async (_: unknown, args: ListArgs, ctx: CasesContext) => {
      const filter = checkCaseFilter(args.filter);
      const window = ctx.cursors.window('cases', args);
      const rows = await ctx.store.list(filter, window);
      return ctx.cursors.connection('cases', window, rows, (c) => c.seq, () => ctx.store.count(filter));
    },
    ...statisticsQuery,
  },
  Mutation: {
    submitCase: (_: unknown, a: { input: SubmitCaseInput; idempotencyKey?: string | null }, ctx: CasesContext) =>
      ctx.commands.submit(ctx.caller, a.input, a.idempotencyKey),
    importCases: (_: unknown, a: { inputs: SubmitCaseInput[] }, ctx: CasesContext) => ctx.commands.importMany(ctx.caller, a.inputs),
    dispatchCase: (_: unknown, a: Change & { institutionId: string }, ctx: CasesContext) =>
      ctx.commands.dispatch(ctx.caller, a.id, a.institutionId, a.expectedVersion, a.idempotencyKey),
    recordRespondentContact: (_: unknown, a: Change & { contactedAt: string; willing: boolean }, ctx: CasesContext) =>
      ctx.commands.recordRespondentContact(ctx.caller, a.id, a.contactedAt, a.willing, a.expectedVersion, a.idempotencyKey),
    acceptCase: (_: unknown, a: Change, ctx: CasesContext) => ctx.commands.accept(ctx.caller, a.id, a.expectedVersion, a.idempotencyKey),
    rejectCase: (_: unknown, a: Change & { reason: string }, ctx: CasesContext) =>
      ctx.commands.reject(ctx.caller, a.id, a.reason, a.expectedVersion, a.idempotencyKey),
    closeCase: (_: unknown, a: Change & { outcome: 'RESOLVED' | 'UNRESOLVED'; agreementSubject?: string | null; remedies?: string | null }, ctx: CasesContext) =>
      ctx.commands.close(ctx.caller, a.id, a.outcome, a.agreementSubject, a.remedies, a.expectedVersion, a.idempotencyKey),
    withdrawCase: (_: unknown, a: Change & { reason: string }, ctx: CasesContext) =>
      ctx.commands.withdraw(ctx.caller, a.id, a.reason, a.expectedVersion, a.idempotencyKey),
  },
  Case: {
    __resolveReference: (ref: { id: string }, ctx: CasesContext) => ctx.loaders.caseById.load(ref.id),
    occurredMonth: (c: CaseRecord) => c.occurredAt?.slice(0, 7) ?? null,
    institution: (c: CaseRecord) => institutionRef(c.institutionId),
    supervisingUnit: (c: CaseRecord) => institutionRef(c.supervisingUnitId),
    parties: (c: CaseRecord, _: unknown, ctx: CasesContext) => ctx.loaders.parties.load(c.seq),
    timeline: (c: CaseRecord, _: unknown, ctx: CasesContext) => ctx.loaders.timeline.load(c.seq),
    deadlines: async (c: CaseRecord, _: unknown, ctx: CasesContext) => {
      const now = ctx.clock().toISOString();
      return (await ctx.loaders.deadlines.load(c.seq)).map((d) => ({ ...d, overdue: (d.metAt ?? now) > d.dueAt }));
    },
  },
  Institution: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    cases: async (institution: { id: string }, args: ListArgs, ctx: CasesContext) => {
      const filter = checkCaseFilter(args.filter);
      const window = ctx.cursors.window('Institution.cases', args);
      const rows = await ctx.loaders.casesOfInstitution({ filter, window }).load(institution.id);
      return ctx.cursors.connection('Institution.cases', window, rows, (c) => c.seq,
        () => ctx.loaders.caseCountOfInstitution(filter).load(institution.id));
    },
    caseStats: institutionCaseStats,
  },
  CaseStatsRow,
};
