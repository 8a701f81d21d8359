/** Resolvers of the institutions subgraph: the registry, its directory, its history and the institution entity. */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { DateTime } from '../../kit/scalars.js';
import type { CursorCodec, PageArgs } from '../../kit/connection.js';
import { PUBLIC_ROLE, type Principal } from '../../kit/principal.js';
import type { Logger } from '../../kit/log.js';
import { DISTRICTS } from '../../kit/reference-data.js';
import {
  checkInstitutionFilter,
  type ChangeFilter,
  type ChangeRecord,
  type ComplaintFilter,
  type ComplaintRecord,
  type HistoryStore,
  type InstitutionFilter,
  type InstitutionRecord,
  type InstitutionStore,
} from './store.js';
import type { InstitutionLoaders } from './loaders.js';
import type { ChangeInput, ComplaintOutcome, Decision, RegistryCommands } from './commands.js';
import { historyScope, requireOversight } from './policy.js';

export interface InstitutionsContext {
  principal: Principal;
  requestId: string;
  logger: Logger;
  store: InstitutionStore;
  history: HistoryStore;
  cursors: CursorCodec;
  loaders: InstitutionLoaders;
  commands: RegistryCommands;
}

const DISTRICT_LIST = Object.entries(DISTRICTS).map(([code, name]) => ({ code, name }));

const institutionOf = (id: string | null, ctx: InstitutionsContext) =>
  id ? ctx.loaders.institutionById.load(id) : null;

export const resolvers: GraphQLResolverMap<InstitutionsContext> = {
  DateTime,
  Query: {
    institution: (_: unknown, { id }: { id: string }, ctx: InstitutionsContext) => ctx.loaders.institutionById.load(id),
    institutions: async (
      _: unknown,
      args: PageArgs & { filter?: InstitutionFilter | null },
      ctx: InstitutionsContext,
    ) => {
      let filter = checkInstitutionFilter(args.filter);
      // The public directory: whatever was asked, only active and listed institutions.
      if (ctx.principal.role === PUBLIC_ROLE) filter = { ...filter, status: 'ACTIVE', listedOnly: true };
      const window = ctx.cursors.window('institutions', args);
      const rows = await ctx.loaders.registryPage(filter, window);
      return ctx.cursors.connection(
        'institutions',
        window,
        rows,
        (i) => i.seq,
        () => ctx.loaders.registryCount(filter),
      );
    },
    districts: () => DISTRICT_LIST,
    institutionChanges: async (
      _: unknown,
      args: PageArgs & { filter?: ChangeFilter | null },
      ctx: InstitutionsContext,
    ) => {
      const filter = {
        ...args.filter,
        ...historyScope(ctx.principal, 'institutionChanges', args.filter?.supervisingUnitId),
      };
      const window = ctx.cursors.window('institutionChanges', args);
      const rows = await ctx.history.listChanges(filter, window);
      return ctx.cursors.connection(
        'institutionChanges',
        window,
        rows,
        (c) => c.seq,
        () => ctx.history.countChanges(filter),
      );
    },
    complaints: async (_: unknown, args: PageArgs & { filter?: ComplaintFilter | null }, ctx: InstitutionsContext) => {
      const filter = { ...args.filter, ...historyScope(ctx.principal, 'complaints') };
      const window = ctx.cursors.window('complaints', args);
      const rows = await ctx.history.listComplaints(filter, window);
      return ctx.cursors.connection(
        'complaints',
        window,
        rows,
        (c) => c.seq,
        () => ctx.history.countComplaints(filter),
      );
    },
  },
  Mutation: {
    reserveDispatch: (_: unknown, a: { institutionId: string; caseId: string }, ctx: InstitutionsContext) =>
      ctx.commands.reserveDispatch(ctx.principal, a.institutionId, a.caseId),
    requestInstitutionChange: (
      _: unknown,
      a: { input: ChangeInput; idempotencyKey?: string | null },
      ctx: InstitutionsContext,
    ) => ctx.commands.requestChange(ctx.principal, a.input, a.idempotencyKey),
    decideInstitutionChange: (
      _: unknown,
      a: { id: string; decision: Decision; note: string },
      ctx: InstitutionsContext,
    ) => ctx.commands.decideChange(ctx.principal, a.id, a.decision, a.note),
    fileComplaint: (
      _: unknown,
      a: { institutionId: string; subject: string; idempotencyKey?: string | null },
      ctx: InstitutionsContext,
    ) => ctx.commands.fileComplaint(ctx.principal, a.institutionId, a.subject, a.idempotencyKey),
    resolveComplaint: (
      _: unknown,
      a: { id: string; outcome: ComplaintOutcome; note: string },
      ctx: InstitutionsContext,
    ) => ctx.commands.resolveComplaint(ctx.principal, a.id, a.outcome, a.note),
  },
  Institution: {
    __resolveReference: (ref: { id: string }, ctx: InstitutionsContext) => ctx.loaders.institutionById.load(ref.id),
    districtName: (i: InstitutionRecord) => DISTRICTS[i.district] ?? i.district,
    categories: (i: InstitutionRecord, _: unknown, ctx: InstitutionsContext) => ctx.loaders.categories.load(i.id),
    supervisingUnit: (i: InstitutionRecord, _: unknown, ctx: InstitutionsContext) =>
      institutionOf(i.supervisingUnitId, ctx),
    managedInstitutions: async (i: InstitutionRecord, args: PageArgs, ctx: InstitutionsContext) => {
      const window = ctx.cursors.window('Institution.managedInstitutions', args);
      const rows = await ctx.loaders.managed(window).load(i.id);
      return ctx.cursors.connection(
        'Institution.managedInstitutions',
        window,
        rows,
        (r) => r.seq,
        () => ctx.loaders.managedCount.load(i.id),
      );
    },
    openComplaintCount: (i: InstitutionRecord, _: unknown, ctx: InstitutionsContext) => {
      requireOversight(ctx.principal, i, 'Institution.openComplaintCount');
      return ctx.loaders.openComplaintCount.load(i.id);
    },
    changeRequests: async (i: InstitutionRecord, args: PageArgs, ctx: InstitutionsContext) => {
      requireOversight(ctx.principal, i, 'Institution.changeRequests');
      const window = ctx.cursors.window('Institution.changeRequests', args);
      const rows = await ctx.loaders.changes(window).load(i.id);
      return ctx.cursors.connection(
        'Institution.changeRequests',
        window,
        rows,
        (c) => c.seq,
        () => ctx.loaders.changeCount.load(i.id),
      );
    },
  },
  InstitutionChange: {
    institution: (c: ChangeRecord, _: unknown, ctx: InstitutionsContext) => institutionOf(c.institutionId, ctx),
    supervisingUnit: (c: ChangeRecord, _: unknown, ctx: InstitutionsContext) => institutionOf(c.supervisingUnitId, ctx),
  },
  Complaint: {
    institution: (c: ComplaintRecord, _: unknown, ctx: InstitutionsContext) => institutionOf(c.institutionId, ctx),
  },
};
