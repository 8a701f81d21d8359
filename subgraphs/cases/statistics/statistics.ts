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
import { COUNTERS, type Counters } from './cells.js';
import { DIMENSION_COLUMNS, groupKeyOf, StatsReader, type Dimension, type StatsFilter } from './queries.js';
import {
  checkTargets, mediatedWithin30DaysShare, OPEN_STATUSES, percentileDays, respondedWithin48HoursShare, successRate,
  type TargetMeasure,
} from './rates.js';
import { suppressionPolicy, type SuppressionPolicy } from './suppression.js';
import { GenerationCache, type RequestReads } from '../../../kit/generation.js';

export interface StatisticsOptions {
  suppressionThreshold: number;
  /** Keep computed figures until the next cube write (kit/generation.ts). */
  cache: boolean;
  profile: JurisdictionProfile;
  clock: () => Date;
}

/** What one row of statistics is built from. */
export interface StatsRow {
  /** The query it belongs to, and its group within it: lazy figures are looked up with these. */
  spec: QuerySpec;
  groupKey: string;
  group: Record<string, string>;
  counts: (Counters & Record<'resolved' | 'unresolved' | 'rejected' | 'withdrawn' | 'open', number>) | null;
  suppressed: boolean;
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
    if (f[bound] != null && !MONTH.test(f[bound]!)) throw badInput(`${path}.${bound}`, 'must be a month, YYYY-MM (e.g. 2026-01)');
  }
  if (f.from && f.to && f.from > f.to) throw badInput(`${path}.from`, 'is after to');
  if (f.district != null && !(f.district in DISTRICTS)) throw badInput(`${path}.district`, 'not a district code (e.g. 310104 for Xuhui)');
  return f;
}

/** A row as folded from the cube, before it is tied to a request's query (kept across requests: never changed). */
type FoldedRow = Omit<StatsRow, 'spec'>;

function fold(columns: readonly string[], entries: { group: Record<string, string>; status: string; sums: Counters; withheld: boolean }[]): FoldedRow[] {
  const rows = new Map<string, FoldedRow & { published: boolean }>();
  for (const e of entries) {
    const key = groupKeyOf(columns, e.group);
    let row = rows.get(key);
    if (!row) {
      rows.set(key, (row = { groupKey: key, group: e.group, suppressed: false, published: false,
        counts: { n: 0, accepted: 0, dispatched: 0, responded_48h: 0, mediated_30d: 0, resolved: 0, unresolved: 0, rejected: 0, withdrawn: 0, open: 0 } }));
    }
    if (e.withheld) row.suppressed = true;
    if (e.sums.n > 0) row.published = true;
    const counts = row.counts!;
    for (const k of COUNTERS) counts[k] += e.sums[k];
    if (e.status === 'RESOLVED') counts.resolved += e.sums.n;
    else if (e.status === 'UNRESOLVED') counts.unresolved += e.sums.n;
    else if (e.status === 'REJECTED') counts.rejected += e.sums.n;
    else if (e.status === 'WITHDRAWN') counts.withdrawn += e.sums.n;
    else if ((OPEN_STATUSES as readonly string[]).includes(e.status)) counts.open += e.sums.n;
  }
  // Nothing publishable left: every figure is withheld, not reported as 0.
  return [...rows.values()].map(({ published, ...row }) => (published ? row : { ...row, counts: null }));
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
      this.pending.set(spec, (values = this.read(spec).then((read) => { this.known.set(spec, read); return read; })));
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

/** The statistics of one request: its principal's suppression policy and loaders that batch every read. */
export class RequestStatistics {
  private readonly policy: SuppressionPolicy;
  private readonly histograms: PerSpecFigure<Map<number, number>>;
  private readonly overdue: PerSpecFigure<number>;
  /** One loader per period and figures asked: thousands of entities share it, so its key is made once per call cheaply. */
  private readonly institutionRows = new Map<string, DataLoader<string, StatsRow>>();

  /** Reads kept under the cube's generation, read once for the request (kit/generation.ts). */
  private readonly kept: RequestReads;
  private readonly policyKey: string;

  constructor(private readonly reader: StatsReader, cache: GenerationCache, private readonly options: StatisticsOptions, principal: Principal) {
    this.policy = suppressionPolicy(principal, options.suppressionThreshold);
    this.policyKey = JSON.stringify([this.policy.threshold, this.policy.ownScope?.column ?? null, this.policy.ownScope?.value ?? null]);
    this.kept = cache.forRequest(() => options.clock().getTime());
    // One statement per query for all its groups (none when computed at this generation before).
    this.histograms = new PerSpecFigure((spec) => this.cached('histograms', spec, async () =>
      ({ value: await reader.closureHistograms(spec.filter, spec.columns, this.policy), validUntil: Infinity })));
    this.overdue = new PerSpecFigure((spec) => this.cached('overdue', spec, async () => {
      const now = options.clock();
      // Kept, the counts hold until the next due time among the running limits they count. Without a cache that time
      // is not read, so the counts are known to hold only now.
      const [value, validUntil] = await Promise.all([reader.overdueNow(spec.filter, spec.columns, this.policy, now),
        cache.enabled ? reader.nextDue(spec.filter, this.policy, now) : now.getTime()]);
      return { value, validUntil };
    }));
  }

  /** A read of the cube for this request's policy, through the cache. */
  private cached<V>(read: string, spec: QuerySpec, compute: () => Promise<{ value: V; validUntil: number }>): Promise<V> {
    return this.kept.read(`${read}\u0000${this.policyKey}\u0000${JSON.stringify(spec.columns)}\u0000${JSON.stringify(spec.filter)}`, compute);
  }

  /** The query's rows: folded once per generation (folding thousands of groups cost more than reading them kept). */
  /** The earliest instant a figure answered so far may change without a write (Infinity: only a write changes them). */
  get validUntil(): number {
    return this.kept.validUntil;
  }

  private async rowsOf(spec: QuerySpec): Promise<StatsRow[]> {
    const folded = await this.cached('rows', spec, async () =>
      ({ value: fold(spec.columns, await this.reader.cellSums(spec.filter, spec.columns, this.policy)), validUntil: Infinity }));
    return folded.map((row) => ({ ...row, spec }));
  }

  private emptyRow(spec: QuerySpec, group: Record<string, string>): StatsRow {
    return { spec, groupKey: groupKeyOf(spec.columns, group), group, suppressed: false,
      counts: { n: 0, accepted: 0, dispatched: 0, responded_48h: 0, mediated_30d: 0, resolved: 0, unresolved: 0, rejected: 0, withdrawn: 0, open: 0 } };
  }

  async query(filter: StatsFilter | null | undefined, groupBy: readonly Dimension[] | null | undefined): Promise<StatsRow[]> {
    const checked = checkStatsFilter(filter);
    const columns = [...new Set((groupBy ?? []).map((d) => DIMENSION_COLUMNS[d]))];
    const spec: QuerySpec = { filter: checked, columns };
    const rows = await this.rowsOf(spec);
    if (rows.length === 0 && columns.length === 0) return [this.emptyRow(spec, {})];
    return rows.sort((a, b) => (a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0));
  }

  ofInstitution(id: string, from: string | null | undefined, to: string | null | undefined, lazy: LazyFigures = { overdueNow: false, daysToClose: false }): Promise<StatsRow> {
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
        this.rowsOf(spec), lazy.overdueNow ? this.overdue.all(spec) : null, lazy.daysToClose ? this.histograms.all(spec) : null,
      ]);
      const byId = new Map(rows.map((r) => [r.group.institution_id!, r]));
      return ids.map((id) => byId.get(id) ?? this.emptyRow(spec, { institution_id: id }));
    });
  }

  overdueNow(row: StatsRow): number | null | Promise<number | null> {
    if (!row.counts) return null;
    const all = this.overdue.of(row.spec);
    return all instanceof Map ? (all.get(row.groupKey) ?? 0) : all.then((read) => read.get(row.groupKey) ?? 0);
  }

  daysToClose(row: StatsRow, p: number): number | null | Promise<number | null> {
    if (!row.counts) return null;
    const percentile = (all: Map<string, Map<number, number>>) => {
      const histogram = all.get(row.groupKey);
      return histogram ? percentileDays(histogram, p) : null;
    };
    const all = this.histograms.of(row.spec);
    return all instanceof Map ? percentile(all) : all.then(percentile);
  }

  rates(row: StatsRow) {
    const c = row.counts;
    if (!c) return { successRate: null, respondedWithin48Hours: null, mediatedWithin30Days: null };
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
  private readonly cache: GenerationCache;
  constructor(knex: Knex, private readonly options: StatisticsOptions) {
    this.reader = new StatsReader(knex);
    this.cache = new GenerationCache(() => this.reader.generation(), options.cache);
  }

  /** The cube's generation now (served at GET /generation: the gateway checks its kept answers with it). */
  generation(): Promise<number> {
    return this.reader.generation();
  }

  forRequest(principal: Principal): RequestStatistics {
    return new RequestStatistics(this.reader, this.cache, this.options, principal);
  }
}
