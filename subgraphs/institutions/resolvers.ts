/** Resolvers of the institutions subgraph: the registry, its directory and the institution entity. */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { DateTime } from '../../kit/scalars.js';
import type { CursorCodec, PageArgs } from '../../kit/connection.js';
import { PUBLIC_ROLE, type Principal } from '../../kit/principal.js';
import type { Logger } from '../../kit/log.js';
import { DISTRICTS } from '../../kit/reference-data.js';
import { checkInstitutionFilter, type InstitutionFilter, type InstitutionRecord, type InstitutionStore } from './store.js';
import type { InstitutionLoaders } from './loaders.js';
import type { RegistryCommands } from './commands.js';

export interface InstitutionsContext {
  principal: Principal;
  requestId: string;
  logger: Logger;
  store: InstitutionStore;
  cursors: CursorCodec;
  loaders: InstitutionLoaders;
  commands: RegistryCommands;
}

const DISTRICT_LIST = Object.entries(DISTRICTS).map(([code, name]) => ({ code, name }));

export const resolvers: GraphQLResolverMap<InstitutionsContext> = {
  DateTime,
  Query: {
    institution: (_: unknown, { id }: { id: string }, ctx: InstitutionsContext) => ctx.loaders.institutionById.load(id),
    institutions: async (_: unknown, args: PageArgs & { filter?: InstitutionFilter | null }, ctx: InstitutionsContext) => {
      let filter = checkInstitutionFilter(args.filter);
      // The public directory: whatever was asked, only active and listed institutions.
      if (ctx.principal.role === PUBLIC_ROLE) filter = { ...filter, status: 'ACTIVE', listedOnly: true };
      const window = ctx.cursors.window('institutions', args);
      const rows = await ctx.store.list(filter, window);
      return ctx.cursors.connection('institutions', window, rows, (i) => i.seq, () => ctx.store.count(filter));
    },
    districts: () => DISTRICT_LIST,
  },
  Mutation: {
    reserveDispatch: (_: unknown, a: { institutionId: string; caseId: string }, ctx: InstitutionsContext) =>
      ctx.commands.reserveDispatch(ctx.principal, a.institutionId, a.caseId),
  },
  Institution: {
    __resolveReference: (ref: { id: string }, ctx: InstitutionsContext) => ctx.loaders.institutionById.load(ref.id),
    districtName: (i: InstitutionRecord) => DISTRICTS[i.district] ?? i.district,
    categories: (i: InstitutionRecord, _: unknown, ctx: InstitutionsContext) => ctx.loaders.categories.load(i.id),
    supervisingUnit: (i: InstitutionRecord, _: unknown, ctx: InstitutionsContext) =>
      i.supervisingUnitId ? ctx.loaders.institutionById.load(i.supervisingUnitId) : null,
    managedInstitutions: async (i: InstitutionRecord, args: PageArgs, ctx: InstitutionsContext) => {
      const window = ctx.cursors.window('Institution.managedInstitutions', args);
      const rows = await ctx.loaders.managed(window).load(i.id);
      return ctx.cursors.connection('Institution.managedInstitutions', window, rows, (r) => r.seq, () => ctx.loaders.managedCount.load(i.id));
    },
  },
};
