/** Resolvers of the statistics fields; the cases subgraph's resolver map spreads them in. */
import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionNode } from 'graphql';
import type { Dimension, StatsFilter } from './queries.js';
import type { LazyFigures, RequestStatistics, StatsRow } from './statistics.js';

interface StatsContext {
  statistics: RequestStatistics;
}

const reference = (id: string | undefined) => (id ? { __typename: 'Institution', id } : null);
const orNull = (value: string | undefined) => (value === undefined || value === '' ? null : value);

export const statisticsQuery = {
  caseStats: (_: unknown, args: { filter?: StatsFilter | null; groupBy?: Dimension[] | null }, ctx: StatsContext) =>
    ctx.statistics.query(args.filter, args.groupBy),
};

export const institutionCaseStats = (
  institution: { id: string },
  args: { from?: string | null; to?: string | null },
  ctx: StatsContext,
  info: GraphQLResolveInfo,
) => {
  // Every entity of a batch shares the field's nodes: the selection is read once per request, not per entity.
  let lazy = lazyFiguresOf.get(info.fieldNodes);
  if (!lazy) {
    const asked = selectedFieldNames(info);
    lazyFiguresOf.set(
      info.fieldNodes,
      (lazy = {
        overdueNow: asked.has('overdueNow'),
        daysToClose: asked.has('medianDaysToClose') || asked.has('p90DaysToClose'),
      }),
    );
  }
  return ctx.statistics.ofInstitution(institution.id, args.from, args.to, lazy);
};

const lazyFiguresOf = new WeakMap<readonly FieldNode[], LazyFigures>();

/** The names of the fields selected under this field, through fragments (directives aside: at worst a read too many). */
function selectedFieldNames(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const visit = (selections: readonly SelectionNode[]) => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet.selections);
      else {
        const fragment = info.fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet.selections);
      }
    }
  };
  for (const node of info.fieldNodes) if (node.selectionSet) visit(node.selectionSet.selections);
  return names;
}

const count =
  (name: 'resolved' | 'unresolved' | 'rejected' | 'withdrawn' | 'open' | 'n' | 'accepted') => (row: StatsRow) =>
    row.counts[name];

export const CaseStatsRow = {
  institution: (row: StatsRow) => reference(row.group.institution_id),
  supervisingUnit: (row: StatsRow) => reference(row.group.supervising_unit_id),
  district: (row: StatsRow) => orNull(row.group.district),
  category: (row: StatsRow) => orNull(row.group.category),
  channel: (row: StatsRow) => orNull(row.group.channel),
  month: (row: StatsRow) => orNull(row.group.month),
  status: (row: StatsRow) => orNull(row.group.status),
  perturbed: (row: StatsRow) => row.perturbed,
  suppressed: (row: StatsRow) => row.gate === 'withheld',
  received: count('n'),
  accepted: count('accepted'),
  rejected: count('rejected'),
  resolved: count('resolved'),
  unresolved: count('unresolved'),
  withdrawn: count('withdrawn'),
  open: count('open'),
  overdueNow: (row: StatsRow, _: unknown, ctx: StatsContext) => ctx.statistics.overdueNow(row),
  successRate: (row: StatsRow, _: unknown, ctx: StatsContext) => ctx.statistics.rates(row).successRate,
  respondedWithin48Hours: (row: StatsRow, _: unknown, ctx: StatsContext) =>
    ctx.statistics.rates(row).respondedWithin48Hours,
  mediatedWithin30Days: (row: StatsRow, _: unknown, ctx: StatsContext) =>
    ctx.statistics.rates(row).mediatedWithin30Days,
  medianDaysToClose: (row: StatsRow, _: unknown, ctx: StatsContext) => ctx.statistics.daysToClose(row, 0.5),
  p90DaysToClose: (row: StatsRow, _: unknown, ctx: StatsContext) => ctx.statistics.daysToClose(row, 0.9),
  targets: (row: StatsRow, _: unknown, ctx: StatsContext) => ctx.statistics.targets(row),
  missedTargets: (row: StatsRow, _: unknown, ctx: StatsContext) =>
    ctx.statistics
      .targets(row)
      .filter((t) => t.missed)
      .map((t) => t.measure),
};
