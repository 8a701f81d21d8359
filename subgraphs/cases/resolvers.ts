/** Resolvers of the cases subgraph: reads, joins to institutions, and references from other subgraphs. */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { DateTime } from '../../kit/scalars.js';
import type { CursorCodec, PageArgs } from '../../kit/connection.js';
import type { Principal } from '../../kit/principal.js';
import type { Logger } from '../../kit/log.js';
import { checkCaseFilter, type CaseFilter, type CaseRecord, type CaseStore } from './store.js';
import type { CaseLoaders } from './loaders.js';
import type { CaseCommands } from './commands.js';
import type { Caller } from '../../kit/principal.js';
import type { PrivacyLedger } from './privacy/ledger.js';
import { grantStatus, type GrantInput, type GrantRecord, type GrantStore } from './privacy/grants.js';
import type { ConsentDesk } from './privacy/consent.js';
import type { AuditFilter, AuditLog } from './privacy/audit-log.js';
import type { PiiCategory } from '../../kit/privacy.js';
import { requireRole, type Principal as P } from '../../kit/principal.js';
import type { SubmitCaseInput } from './validation.js';
import type { RequestStatistics } from './statistics/statistics.js';
import { CaseStatsRow, institutionCaseStats, statisticsQuery } from './statistics/resolvers.js';
import type { CaseRowAccess } from './privacy/row-scope.js';

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
  privacy: PrivacyLedger;
  pseudonym: (principal: P, scope: string, idNumber: string) => string;
  grants: GrantStore;
  consent: ConsentDesk;
  audit: AuditLog;
  statistics: RequestStatistics;
  rows: CaseRowAccess;
}

/** A case the principal may see as a row, else null, as if there were none (privacy/row-scope.ts). */
async function asRow(record: CaseRecord | null | undefined, ctx: CasesContext): Promise<CaseRecord | null> {
  return record && (await ctx.rows.visible(record)) ? record : null;
}

/** A filter that searches by party data gets the principal's search scope, or is refused before any read. */
async function scoped(filter: CaseFilter, ctx: CasesContext): Promise<CaseFilter> {
  const scopes = [];
  if (filter.partyName) scopes.push(await ctx.privacy.searchScope('NAME', 'filter.partyName'));
  if (filter.partyIdNumber) scopes.push(await ctx.privacy.searchScope('ID_NUMBER', 'filter.partyIdNumber'));
  return scopes.length ? { ...filter, visibleTo: scopes } : filter;
}

/**
 * For another office's free text about a case (the referrals subgraph's decline reasons): which of these cases the
 * caller may see in clear for the category, by this subgraph's per-record rule. Each answer is audited as the read
 * it allows or withholds.
 */
async function partyDataClearance(caseIds: string[], category: PiiCategory, ctx: CasesContext): Promise<string[]> {
  const records = (await ctx.loaders.caseById.loadMany([...new Set(caseIds)].slice(0, 1000))).filter(
    (r): r is CaseRecord => !!r && !(r instanceof Error),
  );
  const allowed = await Promise.all(records.map((record) => ctx.privacy.decide(category, record)));
  records.forEach((record, i) => ctx.privacy.record(category, record, allowed[i] ? 'CLEAR' : 'WITHHELD'));
  return records.filter((_, i) => allowed[i]).map((record) => record.id);
}

const withCase = <T extends object>(items: T[], c: CaseRecord) => items.map((item) => ({ ...item, case: c }));

type Change = { id: string; expectedVersion: number; idempotencyKey?: string | null };

type ListArgs = PageArgs & { filter?: CaseFilter | null };

const institutionRef = (id: string | null) => (id ? { __typename: 'Institution', id } : null);

export const resolvers: GraphQLResolverMap<CasesContext> = {
  DateTime,
  Query: {
    case: async (_: unknown, { id }: { id: string }, ctx: CasesContext) =>
      asRow(await ctx.loaders.caseById.load(id), ctx),
    dataGrants: (_: unknown, __: unknown, ctx: CasesContext) => {
      requireRole(ctx.principal, ['steward'], 'dataGrants');
      return ctx.grants.list();
    },
    myDataGrants: (_: unknown, __: unknown, ctx: CasesContext) => ctx.grants.activeFor(ctx.principal.sub),
    partyDataClearance: (_: unknown, a: { caseIds: string[]; category: PiiCategory }, ctx: CasesContext) =>
      partyDataClearance(a.caseIds, a.category, ctx),
    auditEvents: async (_: unknown, args: PageArgs & { filter?: AuditFilter | null }, ctx: CasesContext) => {
      requireRole(ctx.principal, ['steward'], 'auditEvents');
      const window = ctx.cursors.window('auditEvents', args);
      const rows = await ctx.audit.list(args.filter ?? {}, window);
      return ctx.cursors.connection(
        'auditEvents',
        window,
        rows,
        (r) => r.seq,
        async () => ctx.audit.count(args.filter ?? {}),
      );
    },
    verifyAuditChain: (_: unknown, __: unknown, ctx: CasesContext) => {
      requireRole(ctx.principal, ['steward', 'admin'], 'verifyAuditChain');
      return ctx.audit.verify();
    },
    cases: async (_: unknown, args: ListArgs, ctx: CasesContext) => {
      const filter = await scoped(checkCaseFilter(args.filter), ctx);
      const window = ctx.cursors.window('cases', args);
      // Rows of the principal's own work and grants only; the total is a figure of every case the filter selects.
      const rows = await ctx.store.list({ ...filter, rows: await ctx.rows.scope() }, window);
      return ctx.cursors.connection(
        'cases',
        window,
        rows,
        (c) => c.seq,
        async () => ctx.statistics.publish(await ctx.store.countParts(filter, ctx.statistics.policy)),
      );
    },
    ...statisticsQuery,
  },
  Mutation: {
    grantDataAccess: (_: unknown, a: GrantInput, ctx: CasesContext) => ctx.consent.grant(ctx, a),
    approveDataGrant: (_: unknown, { id }: { id: string }, ctx: CasesContext) => ctx.consent.approve(ctx, id),
    revokeDataAccess: (_: unknown, { id }: { id: string }, ctx: CasesContext) => ctx.consent.revoke(ctx, id),
    recordAccessRefusal: async (
      _: unknown,
      a: { operation?: string | null; documentHash?: string | null; categories: PiiCategory[]; detail: string },
      ctx: CasesContext,
    ) => {
      await ctx.audit.append([
        {
          requestId: ctx.requestId,
          principal: ctx.principal,
          decision: 'DENIED',
          categories: a.categories,
          caseIds: [],
          operation: a.operation ?? null,
          documentHash: a.documentHash ?? null,
          detail: a.detail,
        },
      ]);
      return true;
    },
    submitCase: (_: unknown, a: { input: SubmitCaseInput; idempotencyKey?: string | null }, ctx: CasesContext) =>
      ctx.commands.submit(ctx.caller, a.input, a.idempotencyKey),
    importCases: (_: unknown, a: { inputs: SubmitCaseInput[] }, ctx: CasesContext) =>
      ctx.commands.importMany(ctx.caller, a.inputs),
    dispatchCase: (_: unknown, a: Change & { institutionId: string }, ctx: CasesContext) =>
      ctx.commands.dispatch(ctx.caller, a.id, a.institutionId, a.expectedVersion, a.idempotencyKey),
    recordRespondentContact: (_: unknown, a: Change & { contactedAt: string; willing: boolean }, ctx: CasesContext) =>
      ctx.commands.recordRespondentContact(
        ctx.caller,
        a.id,
        a.contactedAt,
        a.willing,
        a.expectedVersion,
        a.idempotencyKey,
      ),
    acceptCase: (_: unknown, a: Change, ctx: CasesContext) =>
      ctx.commands.accept(ctx.caller, a.id, a.expectedVersion, a.idempotencyKey),
    rejectCase: (_: unknown, a: Change & { reason: string }, ctx: CasesContext) =>
      ctx.commands.reject(ctx.caller, a.id, a.reason, a.expectedVersion, a.idempotencyKey),
    closeCase: (
      _: unknown,
      a: Change & { outcome: 'RESOLVED' | 'UNRESOLVED'; agreementSubject?: string | null; remedies?: string | null },
      ctx: CasesContext,
    ) =>
      ctx.commands.close(
        ctx.caller,
        a.id,
        a.outcome,
        a.agreementSubject,
        a.remedies,
        a.expectedVersion,
        a.idempotencyKey,
      ),
    withdrawCase: (_: unknown, a: Change & { reason: string }, ctx: CasesContext) =>
      ctx.commands.withdraw(ctx.caller, a.id, a.reason, a.expectedVersion, a.idempotencyKey),
  },
  Case: {
    __resolveReference: async (ref: { id: string }, ctx: CasesContext) =>
      asRow(await ctx.loaders.caseById.load(ref.id), ctx),
    occurredMonth: (c: CaseRecord) => c.occurredAt?.slice(0, 7) ?? null,
    institution: (c: CaseRecord) => institutionRef(c.institutionId),
    supervisingUnit: (c: CaseRecord) => institutionRef(c.supervisingUnitId),
    parties: async (c: CaseRecord, _: unknown, ctx: CasesContext) => withCase(await ctx.loaders.parties.load(c.seq), c),
    timeline: async (c: CaseRecord, _: unknown, ctx: CasesContext) =>
      withCase(await ctx.loaders.timeline.load(c.seq), c),
    deadlines: async (c: CaseRecord, _: unknown, ctx: CasesContext) => {
      const now = ctx.clock().toISOString();
      return (await ctx.loaders.deadlines.load(c.seq)).map((d) => ({ ...d, overdue: (d.metAt ?? now) > d.dueAt }));
    },
  },
  Party: {
    pseudonym: (p: { idNumber: string }, _: unknown, ctx: CasesContext) => {
      const scope = ctx.privacy.pseudonymScope(p);
      return typeof scope === 'string'
        ? ctx.pseudonym(ctx.principal, scope, p.idNumber)
        : scope.then((s) => ctx.pseudonym(ctx.principal, s, p.idNumber));
    },
  },
  ConsentGrant: {
    scope: (g: GrantRecord) => ({
      institutionId: g.scopeInstitutionId,
      district: g.scopeDistrict,
      caseId: g.scopeCaseId,
    }),
    status: (g: GrantRecord, _: unknown, ctx: CasesContext) => grantStatus(g, ctx.clock()),
  },
  Institution: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    cases: async (institution: { id: string }, args: ListArgs, ctx: CasesContext) => {
      const filter = await scoped(checkCaseFilter(args.filter), ctx);
      const window = ctx.cursors.window('Institution.cases', args);
      const rows = await ctx.loaders
        .casesOfInstitution({ filter: { ...filter, rows: await ctx.rows.scope() }, window })
        .load(institution.id);
      return ctx.cursors.connection(
        'Institution.cases',
        window,
        rows,
        (c) => c.seq,
        async () => ctx.statistics.publish(await ctx.loaders.caseCountOfInstitution(filter).load(institution.id)),
      );
    },
    caseStats: institutionCaseStats,
  },
  CaseStatsRow,
};
