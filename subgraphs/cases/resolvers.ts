/** Resolvers of the cases subgraph: reads, joins to institutions, and references from other subgraphs. */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { DateTime } from '../../kit/scalars.js';
import type { CursorCodec, PageArgs } from '../../kit/connection.js';
import type { Principal } from '../../kit/principal.js';
import type { Logger } from '../../kit/log.js';
import { checkCaseFilter, type CaseFilter, type CaseRecord, type CaseStore } from './store.js';
import type { CaseLoaders } from './loaders.js';

export interface CasesContext {
  principal: Principal;
  requestId: string;
  logger: Logger;
  store: CaseStore;
  cursors: CursorCodec;
  loaders: CaseLoaders;
}

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
  },
  Case: {
    __resolveReference: (ref: { id: string }, ctx: CasesContext) => ctx.loaders.caseById.load(ref.id),
    occurredMonth: (c: CaseRecord) => c.occurredAt?.slice(0, 7) ?? null,
    institution: (c: CaseRecord) => institutionRef(c.institutionId),
    supervisingUnit: (c: CaseRecord) => institutionRef(c.supervisingUnitId),
    parties: (c: CaseRecord, _: unknown, ctx: CasesContext) => ctx.loaders.parties.load(c.seq),
    timeline: (c: CaseRecord, _: unknown, ctx: CasesContext) => ctx.loaders.timeline.load(c.seq),
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
  },
};
