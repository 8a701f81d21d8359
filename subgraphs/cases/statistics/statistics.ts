/**
 * Case statistics for dashboards and analysts: `Query.caseStats(filter, groupBy)` and `Institution.caseStats(from, to)`.
 * Rows are folded from the cube (cells.ts), and kept folded under its generation; figures that need another statement
 * (overdue now, median and 90th percentile) are read only when asked for, once per distinct query in the request, for
 * all its rows together: the statements per request do not grow with the number of institutions or groups.
 */
import DataLoader from 'dataloader';
import type { Knex } from '../../../kit/store.js';
import { badInput } from '../../../kit/errors.js';
import { DISTRICTS } from '../../../kit/reference-data.js';
import type { Principal } from '../../../kit/principal.js';
import type { JurisdictionProfile } from '../deadlines/deadlines.js';
import { COUNTERS } from './cells.js';
import {
  DIMENSION_COLUMNS,
  groupKeyOf,
  StatsReader,
  type CellSums,
  type ClosureHistograms,
  type Dimension,
  type StatsFilter,
} from './queries.js';
import {
  checkTargets,
  mediatedWithin30DaysShare,
  OPEN_STATUSES,
  percentileDays,
  respondedWithin48HoursShare,
  successRate,
  type TargetMeasure,
} from './rates.js';
import {
  addToParts,
  figurePolicy,
  loadPerturbation,
  noParts,
  percentileGate,
  policyKey,
  publishFigure,
  type CellKeyPerturbation,
  type FigureParts,
  type FigurePolicy,
  type PercentileGate,
} from './disclosure.js';
import { KeptReads, type RequestReads } from '../../../kit/generation.js';

export interface StatisticsOptions {
  /** Published counts are 0 or at least this (JIEFEN_SUPPRESSION_THRESHOLD): the perturbation table's threshold. */
  suppressionThreshold: number;
  /** Keep computed figures until the next cube write (kit/generation.ts). */
  cache: boolean;
  profile: JurisdictionProfile;
  clock: () => Date;
}

/** The figures of a row, as published to the request's principal. */
export type Counts = Record<
  (typeof COUNTERS)[number] | 'resolved' | 'unresolved' | 'rejected' | 'withdrawn' | 'open',
  number
>;

/** What one row of statistics is built from. */
export interface StatsRow {
  /** The query it belongs to, and its group within it: lazy figures are looked up with these. */
  spec: QuerySpec;
  groupKey: string;
  group: Record<string, string>;
  counts: Counts;
  /** Some of the row's figures may carry noise (the principal does not see all of its cases exactly). */
  perturbed: boolean;
  /** The rest (outside the exact part) is published as a part of the row; when its count is published as 0 it is left out of every figure. */
  restShown: boolean;
  /** Which closed mediations the percentiles are taken over (disclosure.ts `percentileGate`). */
  gate: PercentileGate;
}

interface QuerySpec {
  filter: StatsFilter;
  columns: string[];
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Validates a statistics filter before any statement runs; errors name the field. */
export function checkStatsFilter(filter: StatsFilter | null | undefined, path = 'filter'): StatsFilter {
  const f = filter ?? {};
  for (const bound of ['from', 'to'] as const) {
    if (f[bound] != null && !MONTH.test(f[bound]!))
      throw badInput(`${path}.${bound}`, 'must be a month, YYYY-MM (e.g. 2026-01)');
  }
  if (f.from && f.to && f.from > f.to) throw badInput(`${path}.from`, 'is after to');
  if (f.district != null && !(f.district in DISTRICTS))
    throw badInput(`${path}.district`, 'not a district code (e.g. 310104 for Xuhui)');
  return f;
}

/** A row as folded from the cube, before it is tied to a request's query (kept across requests: never changed). */
type FoldedRow = Omit<StatsRow, 'spec'>;

/** The sets a row publishes a figure of: each counter, each status of interest, the open cases and the closed mediations. */
const FIGURES = [...COUNTERS, 'resolved', 'unresolved', 'rejected', 'withdrawn', 'open', 'closed'] as const;
type Figure = (typeof FIGURES)[number];

const zeroCounts = (): Counts => ({
  n: 0,
  accepted: 0,
  dispatched: 0,
  responded_48h: 0,
  mediated_30d: 0,
  resolved: 0,
  unresolved: 0,
  rejected: 0,
  withdrawn: 0,
  open: 0,
});

/** The status figures an atom of this status counts in (its `n` cases and their keys). */
function statusFigures(status: string): Figure[] {
  const figures: Figure[] = [];
  if (status === 'RESOLVED' || status === 'UNRESOLVED')
    figures.push(status === 'RESOLVED' ? 'resolved' : 'unresolved', 'closed');
  else if (status === 'REJECTED') figures.push('rejected');
  else if (status === 'WITHDRAWN') figures.push('withdrawn');
  else if ((OPEN_STATUSES as readonly string[]).includes(status)) figures.push('open');
  return figures;
}

/** Does every case the row can hold fall in the exact part (its group or the filter pins the exact column)? */
function allExact(policy: FigurePolicy, filter: StatsFilter, group: Record<string, string>): boolean {
  if (policy.exact === 'everything') return true;
  if (policy.exact === 'nothing') return false;
  const { column, value } = policy.exact;
  if (group[column] !== undefined) return group[column] === value;
  if (column === 'institution_id')
    return (
      filter.institutionId === value ||
      (!!filter.institutionIds?.length && filter.institutionIds.every((id) => id === value))
    );
  return filter.supervisingUnitId === value;
}

function fold(policy: FigurePolicy, filter: StatsFilter, columns: readonly string[], entries: CellSums[]): FoldedRow[] {
  const groups = new Map<string, { group: Record<string, string>; parts: Record<Figure, FigureParts> }>();
  for (const e of entries) {
    const key = groupKeyOf(columns, e.group);
    let g = groups.get(key);
    if (!g)
      groups.set(
        key,
        (g = {
          group: e.group,
          parts: Object.fromEntries(FIGURES.map((f) => [f, noParts()])) as Record<Figure, FigureParts>,
        }),
      );
    const add = (figure: Figure, count: number, keySum: number) =>
      addToParts(g!.parts[figure], e.exactPart ? 1 : 0, count, keySum);
    for (const k of COUNTERS) add(k, e.sums[k], e.keys[k]);
    for (const f of statusFigures(e.status)) add(f, e.sums.n, e.keys.n);
  }
  const rows: FoldedRow[] = [];
  for (const [groupKey, { group, parts }] of groups) {
    // The rest's received count decides for all of the rest: published as 0, none of its figures is shown, so the
    // row is exactly what it would be if the rest held no case.
    const restShown = policy.perturbation.publish(parts.n.rest.count, parts.n.rest.keySum) > 0;
    const counts = zeroCounts();
    for (const f of FIGURES) {
      if (f !== 'closed') counts[f] = restShown ? publishFigure(policy, parts[f]) : parts[f].exact;
    }
    // A group with nothing published is no row at all, as a group without cases is none.
    if (counts.n === 0) continue;
    rows.push({
      groupKey,
      group,
      counts,
      restShown,
      perturbed: !allExact(policy, filter, group),
      gate: restShown ? percentileGate(policy, parts.closed.rest) : 'exact part',
    });
  }
  return rows;
}

/**
 * A figure read once per query for all its groups (one statement), kept per spec (rows share their query's spec
 * object: by identity, as a spec may list thousands of institutions). Once read, rows take their value without a
 * promise, so thousands of rows cost no promise each.
 */
class PerSpecFigure<V> {
  private readonly pending = new WeakMap<QuerySpec, Promise<Map<string, V>>>();
  private readonly known = new WeakMap<QuerySpec, Map<string, V>>();

  constructor(private readonly read: (spec: QuerySpec) => Promise<Map<string, V>>) {}

  /** Reads the spec's values unless read (or being read) already. */
  all(spec: QuerySpec): Promise<Map<string, V>> {
    let values = this.pending.get(spec);
    if (!values) {
      this.pending.set(
        spec,
        (values = this.read(spec).then((read) => {
          this.known.set(spec, read);
          return read;
        })),
      );
    }
    return values;
  }

  /** The map itself once read, else a promise of it. */
  of(spec: QuerySpec): Map<string, V> | Promise<Map<string, V>> {
    return this.known.get(spec) ?? this.all(spec);
  }
}

/** Which figures that need a statement of their own a selection asks for: read with the rows, not after them. */
export interface LazyFigures {
  overdueNow: boolean;
  daysToClose: boolean;
}

/** The statistics of one request: its principal's figure policy and loaders that batch every read. */
export class RequestStatistics {
  readonly policy: FigurePolicy;
  private readonly histograms: PerSpecFigure<ClosureHistograms>;
  private readonly overdue: PerSpecFigure<FigureParts>;
  /** One loader per period and figures asked: thousands of entities share it, so its key is made once per call cheaply. */
  private readonly institutionRows = new Map<string, DataLoader<string, StatsRow>>();

  /** Reads kept under the cube's generation, read once for the request (kit/generation.ts). */
  private readonly kept: RequestReads;
  private readonly policyKey: string;

  constructor(
    private readonly reader: StatsReader,
    cache: KeptReads,
    private readonly options: StatisticsOptions,
    principal: Principal,
    perturbation: CellKeyPerturbation,
  ) {
    this.policy = figurePolicy(principal, perturbation);
    this.policyKey = policyKey(this.policy);
    this.kept = cache.forRequest(() => options.clock().getTime());
    // One statement per query for all its groups (none when computed at this generation before).
    this.histograms = new PerSpecFigure((spec) =>
      this.cached('histograms', spec, async () => ({
        value: await reader.closureHistograms(spec.filter, spec.columns, this.policy),
        validUntil: Infinity,
      })),
    );
    this.overdue = new PerSpecFigure((spec) =>
      this.cached('overdue', spec, async () => {
        const now = options.clock();
        // Kept, the counts hold until the next due time among the running limits they count. Without a cache that time
        // is not read, so the counts are known to hold only now.
        const [value, validUntil] = await Promise.all([
          reader.overdueNow(spec.filter, spec.columns, this.policy, now),
          cache.enabled ? reader.nextDue(spec.filter, now) : now.getTime(),
        ]);
        return { value, validUntil };
      }),
    );
  }

  /** A read of the cube for this request's policy, through the cache. */
  private cached<V>(
    read: string,
    spec: QuerySpec,
    compute: () => Promise<{ value: V; validUntil: number }>,
  ): Promise<V> {
    return this.kept.read(
      `${read}\u0000${this.policyKey}\u0000${JSON.stringify(spec.columns)}\u0000${JSON.stringify(spec.filter)}`,
      compute,
    );
  }

  /** The query's rows: folded once per generation (folding thousands of groups cost more than reading them kept). */
  /** The earliest instant a figure answered so far may change without a write (Infinity: only a write changes them). */
  get validUntil(): number {
    return this.kept.validUntil;
  }

  private async rowsOf(spec: QuerySpec): Promise<StatsRow[]> {
    const folded = await this.cached('rows', spec, async () => ({
      value: fold(
        this.policy,
        spec.filter,
        spec.columns,
        await this.reader.cellSums(spec.filter, spec.columns, this.policy),
      ),
      validUntil: Infinity,
    }));
    return folded.map((row) => ({ ...row, spec }));
  }

  private emptyRow(spec: QuerySpec, group: Record<string, string>): StatsRow {
    return {
      spec,
      groupKey: groupKeyOf(spec.columns, group),
      group,
      counts: zeroCounts(),
      restShown: false,
      gate: 'exact part',
      perturbed: !allExact(this.policy, spec.filter, group),
    };
  }

  /** A count of cases read elsewhere (`totalCount`), published as the same set's figure would be here. */
  publish(parts: FigureParts): number {
    return publishFigure(this.policy, parts);
  }

  async query(
    filter: StatsFilter | null | undefined,
    groupBy: readonly Dimension[] | null | undefined,
  ): Promise<StatsRow[]> {
    const checked = checkStatsFilter(filter);
    const columns = [...new Set((groupBy ?? []).map((d) => DIMENSION_COLUMNS[d]))];
    const spec: QuerySpec = { filter: checked, columns };
    const rows = await this.rowsOf(spec);
    if (rows.length === 0 && columns.length === 0) return [this.emptyRow(spec, {})];
    return rows.sort((a, b) => (a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0));
  }

  ofInstitution(
    id: string,
    from: string | null | undefined,
    to: string | null | undefined,
    lazy: LazyFigures = { overdueNow: false, daysToClose: false },
  ): Promise<StatsRow> {
    const key = `${from ?? ''}\u0000${to ?? ''}\u0000${lazy.overdueNow}\u0000${lazy.daysToClose}`;
    let loader = this.institutionRows.get(key);
    if (!loader) {
      const period = checkStatsFilter({ from, to }, 'caseStats');
      this.institutionRows.set(key, (loader = this.institutionLoader(period.from ?? null, period.to ?? null, lazy)));
    }
    return loader.load(id);
  }

  private institutionLoader(from: string | null, to: string | null, lazy: LazyFigures): DataLoader<string, StatsRow> {
    return new DataLoader(async (ids: readonly string[]) => {
      const spec: QuerySpec = { filter: { from, to, institutionIds: ids }, columns: ['institution_id'] };
      // The figures the selection asks for are read with the rows, for the whole batch, so each row's fields
      // resolve at once; started together, one statement runs while the answer of another is folded.
      const [rows] = await Promise.all([
        this.rowsOf(spec),
        lazy.overdueNow ? this.overdue.all(spec) : null,
        lazy.daysToClose ? this.histograms.all(spec) : null,
      ]);
      const byId = new Map(rows.map((r) => [r.group.institution_id!, r]));
      return ids.map((id) => byId.get(id) ?? this.emptyRow(spec, { institution_id: id }));
    });
  }

  overdueNow(row: StatsRow): number | Promise<number> {
    const publish = (all: Map<string, FigureParts>) => {
      const parts = all.get(row.groupKey);
      if (!parts) return 0;
      return row.restShown ? publishFigure(this.policy, parts) : parts.exact;
    };
    const all = this.overdue.of(row.spec);
    return all instanceof Map ? publish(all) : all.then(publish);
  }

  daysToClose(row: StatsRow, p: number): number | null | Promise<number | null> {
    if (row.gate === 'withheld') return null;
    const percentile = (all: Map<string, ClosureHistograms>) => {
      const histograms = all.get(row.groupKey);
      if (!histograms) return null;
      if (row.gate === 'exact part') return percentileDays(histograms.exact, p);
      const merged = new Map(histograms.exact);
      for (const [days, n] of histograms.rest) merged.set(days, (merged.get(days) ?? 0) + n);
      return percentileDays(merged, p);
    };
    const all = this.histograms.of(row.spec);
    return all instanceof Map ? percentile(all) : all.then(percentile);
  }

  rates(row: StatsRow) {
    const c = row.counts;
    return {
      successRate: successRate(c.resolved, c.unresolved),
      respondedWithin48Hours: respondedWithin48HoursShare(c.responded_48h, c.dispatched),
      mediatedWithin30Days: mediatedWithin30DaysShare(c.mediated_30d, c.resolved, c.unresolved),
    };
  }

  targets(row: StatsRow) {
    return checkTargets(this.options.profile.targets as Partial<Record<TargetMeasure, number>>, this.rates(row));
  }
}

export class CaseStatistics {
  private readonly reader: StatsReader;
  private readonly cache: KeptReads;
  private readonly perturbation: CellKeyPerturbation;
  constructor(
    knex: Knex,
    private readonly options: StatisticsOptions,
  ) {
    this.reader = new StatsReader(knex);
    this.perturbation = loadPerturbation(options.suppressionThreshold);
    this.cache = new KeptReads(() => this.reader.generation(), options.cache);
  }

  /** The cube's generation now (served at GET /generation: the gateway checks its kept answers with it). */
  generation(): Promise<number> {
    return this.reader.generation();
  }

  forRequest(principal: Principal): RequestStatistics {
    return new RequestStatistics(this.reader, this.cache, this.options, principal, this.perturbation);
  }
}
