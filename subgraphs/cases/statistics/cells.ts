/**
 * The statistics cube's atoms, and how a case change moves its counters. Every case counts in exactly one atom:
 * its submission month (China time) × institution × supervising unit × district × category × channel × status.
 * A change subtracts the case's old contribution and adds its new one, counters and record-key sums alike, in the
 * transaction that changes the case, so the cube always equals a recount of the cases table
 * (test/case-statistics-aggregates.test.ts and test/figures-key-sums-match-recount.test.ts prove it) and statistics
 * never scan cases.
 */
import { rowsOf, type Knex } from '../../../kit/store.js';
import { localDate } from '../deadlines/working-days.js';
import { toIso } from '../../../kit/scalars.js';
import { raiseGeneration } from '../../../kit/generation.js';
import { closureDays, respondedWithin48Hours, mediatedWithin30Days, OPEN_STATUSES, type CaseFacts } from './rates.js';

/** The atom's key columns, in primary-key order. */
export const ATOM_KEY = [
  'month',
  'institution_id',
  'supervising_unit_id',
  'district',
  'category',
  'channel',
  'status',
] as const;
export const COUNTERS = ['n', 'accepted', 'dispatched', 'responded_48h', 'mediated_30d'] as const;
/**
 * Beside each counter, the sum of the record keys of the cases it counts (statistics/disclosure.ts): a cell's key is
 * then a sum over its atoms, like its count.
 */
export const KEY_SUMS = {
  n: 'key_n',
  accepted: 'key_accepted',
  dispatched: 'key_dispatched',
  responded_48h: 'key_responded_48h',
  mediated_30d: 'key_mediated_30d',
} as const;
export const KEY_SUM_COLUMNS = COUNTERS.map((c) => KEY_SUMS[c]);
/** The cube's generation, raised by every write of it (kit/generation.ts, migrations/0007_statistics_generation.ts). */
export const GENERATION_TABLE = 'case_stats_generation';

export type AtomKey = Record<(typeof ATOM_KEY)[number], string>;
export type Counters = Record<(typeof COUNTERS)[number], number>;

export interface Contribution {
  key: AtomKey;
  counters: Counters;
  /** The record key counted under each counter the case counts in (0 where it does not). */
  keys: Counters;
  /** Whole days from submission to closure, for closed mediations (RESOLVED, UNRESOLVED). */
  closureDays: number | null;
}

export function monthOf(instant: string): string {
  return localDate(new Date(instant)).slice(0, 7);
}

export function contributionOf(c: CaseFacts): Contribution {
  const counters: Counters = {
    n: 1,
    accepted: c.acceptedAt ? 1 : 0,
    dispatched: c.dispatchedAt ? 1 : 0,
    responded_48h: respondedWithin48Hours(c) ? 1 : 0,
    mediated_30d: mediatedWithin30Days(c) ? 1 : 0,
  };
  return {
    key: {
      month: monthOf(c.submittedAt),
      institution_id: c.institutionId ?? '',
      supervising_unit_id: c.supervisingUnitId ?? '',
      district: c.district,
      category: c.category,
      channel: c.channel,
      status: c.status,
    },
    counters,
    keys: Object.fromEntries(COUNTERS.map((k) => [k, counters[k] * c.recordKey])) as Counters,
    closureDays: closureDays(c),
  };
}

const keyString = (key: AtomKey) => ATOM_KEY.map((k) => key[k]).join('\u0001');

/** An atom's days-to-closure histogram as stored: one `<days>,` entry per closed mediation, in any order. */
export function parseClosureDays(
  text: string | null | undefined,
  into: Map<number, number> = new Map(),
): Map<number, number> {
  if (!text) return into;
  // Read digit by digit: a year's histograms for every institution run to a million characters, and splitting them
  // into strings cost more than the statement that read them. Anything but digits and commas takes the plain path.
  const parsed = new Map<number, number>();
  let days = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      days = days * 10 + (code - 48);
      digits++;
    } else if (code === 44) {
      if (digits > 0) parsed.set(days, (parsed.get(days) ?? 0) + 1);
      days = 0;
      digits = 0;
    } else {
      return parseEntries(text, into);
    }
  }
  if (digits > 0) parsed.set(days, (parsed.get(days) ?? 0) + 1);
  for (const [d, n] of parsed) into.set(d, (into.get(d) ?? 0) + n);
  return into;
}

function parseEntries(text: string, into: Map<number, number>): Map<number, number> {
  for (const entry of text.split(',')) {
    if (entry === '') continue;
    const days = Number(entry);
    into.set(days, (into.get(days) ?? 0) + 1);
  }
  return into;
}

interface CellDelta {
  key: AtomKey;
  counters: Counters;
  keys: Counters;
  closuresAdded: number[];
  closuresRemoved: number[];
}

const zeros = (): Counters => ({ n: 0, accepted: 0, dispatched: 0, responded_48h: 0, mediated_30d: 0 });

/**
 * Sums signed contributions per atom; atoms whose deltas all cancel are dropped. Sorted, so concurrent writers lock
 * rows in one order. Closure days are appended to the atom's histogram text in the same upsert (closed mediations
 * are final, so live changes only ever add); a removal, which no legal move makes, is still applied exactly.
 */
export class CubeDelta {
  readonly cells = new Map<string, CellDelta>();

  add(contribution: Contribution, sign: 1 | -1): this {
    const id = keyString(contribution.key);
    let cell = this.cells.get(id);
    if (!cell)
      this.cells.set(
        id,
        (cell = { key: contribution.key, counters: zeros(), keys: zeros(), closuresAdded: [], closuresRemoved: [] }),
      );
    for (const counter of COUNTERS) {
      cell.counters[counter] += sign * contribution.counters[counter];
      cell.keys[counter] += sign * contribution.keys[counter];
    }
    if (contribution.closureDays !== null) {
      const [same, other] =
        sign === 1 ? [cell.closuresAdded, cell.closuresRemoved] : [cell.closuresRemoved, cell.closuresAdded];
      const cancels = other.indexOf(contribution.closureDays);
      if (cancels >= 0) other.splice(cancels, 1);
      else same.push(contribution.closureDays);
    }
    return this;
  }

  private changed(): CellDelta[] {
    return [...this.cells.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, c]) => c)
      .filter(
        (c) =>
          COUNTERS.some((k) => c.counters[k] !== 0 || c.keys[k] !== 0) ||
          c.closuresAdded.length > 0 ||
          c.closuresRemoved.length > 0,
      );
  }

  /** The rows to add to the stored cells (the histogram text holds the added days). */
  cellRows(): Record<string, string | number>[] {
    return this.changed().map((c) => ({
      ...c.key,
      ...c.counters,
      ...Object.fromEntries(COUNTERS.map((k) => [KEY_SUMS[k], c.keys[k]])),
      closure_days: c.closuresAdded.map((d) => `${d},`).join(''),
    }));
  }

  /** Adds the deltas to the stored cube: one upsert per 400 atoms. */
  async apply(db: Knex | Knex.Transaction | CubeWriter): Promise<void> {
    const writer = writerOf(db);
    const changed = this.changed();
    const rows = this.cellRows();
    // 400 rows keep each statement under sqlite's limit on bound parameters.
    for (let i = 0; i < rows.length; i += 400) {
      const chunk = rows.slice(i, i + 400);
      await writer.all(
        upsertCellsSql(chunk.length),
        chunk.flatMap((row) => CELL_COLUMNS.map((c) => row[c])),
      );
    }
    for (const cell of changed.filter((c) => c.closuresRemoved.length > 0)) {
      const key = ATOM_KEY.map((k) => cell.key[k]);
      const [row] = await writer.all(`select closure_days from case_stats_cells where ${KEY_MATCH} limit 1`, key);
      const entries = String(row?.closure_days ?? '')
        .split(',')
        .filter((e) => e !== '');
      for (const days of cell.closuresRemoved) entries.splice(entries.indexOf(String(days)), 1);
      await writer.all(`update case_stats_cells set closure_days = ? where ${KEY_MATCH}`, [
        entries.map((e) => `${e},`).join(''),
        ...key,
      ]);
    }
    // Every cube write raises the generation in its transaction: statistics kept under an older one are stale.
    const raise = raiseGeneration(GENERATION_TABLE);
    await writer.all(raise.sql, raise.bindings);
  }
}

/*
 * The cube's statements, written once as plain SQL that sqlite and PostgreSQL both take: a status change runs them
 * on every write, and building them with knex each time cost more than running them.
 */
const CELL_COLUMNS = [...ATOM_KEY, ...COUNTERS, ...KEY_SUM_COLUMNS, 'closure_days'] as const;
const ADDED_COLUMNS = [...COUNTERS, ...KEY_SUM_COLUMNS];
const KEY_MATCH = ATOM_KEY.map((k) => `${k} = ?`).join(' and ');
const upsertCellsStatements = new Map<number, string>();

/** Adds rows of counters to their atoms (inserting atoms not seen before); histograms are appended. */
function upsertCellsSql(rows: number): string {
  let sql = upsertCellsStatements.get(rows);
  if (!sql) {
    const values = `(${CELL_COLUMNS.map(() => '?').join(', ')})`;
    sql =
      `insert into case_stats_cells (${CELL_COLUMNS.join(', ')}) values ${Array.from({ length: rows }, () => values).join(', ')}` +
      ` on conflict (${ATOM_KEY.join(', ')}) do update set ${ADDED_COLUMNS.map((k) => `${k} = case_stats_cells.${k} + excluded.${k}`).join(', ')},` +
      ' closure_days = case_stats_cells.closure_days || excluded.closure_days';
    upsertCellsStatements.set(rows, sql);
  }
  return sql;
}

const RUNNING_COLUMNS = ['case_seq', 'due_at', 'record_key', ...ATOM_KEY] as const;
const EARLIEST_RUNNING_LIMIT = 'select min(due_at) as due from case_deadlines where case_seq = ? and met_at is null';
const UPSERT_RUNNING =
  `insert into case_stats_running (${RUNNING_COLUMNS.join(', ')}) values (${RUNNING_COLUMNS.map(() => '?').join(', ')})` +
  ` on conflict (case_seq) do update set ${RUNNING_COLUMNS.slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;
const DELETE_RUNNING = 'delete from case_stats_running where case_seq = ?';

/**
 * Where the cube is written: a knex transaction, or another transaction's statements (the cases subgraph's
 * prepared-statement path on sqlite). Statements come with `?` placeholders.
 */
export interface CubeWriter {
  all(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
}

function writerOf(db: Knex | Knex.Transaction | CubeWriter): CubeWriter {
  if (!('raw' in db)) return db;
  return { all: async (sql, params) => rowsOf(await db.raw(sql, params as Knex.RawBinding[])) };
}

/** The running-limits row of a case: open, with a limit running (due at the earliest one), or none. */
export function runningRow(
  c: CaseFacts & { seq: number },
  earliestDueAt: string | null,
): Record<string, string | number> | null {
  if (!earliestDueAt || !(OPEN_STATUSES as readonly string[]).includes(c.status)) return null;
  return { case_seq: c.seq, due_at: earliestDueAt, record_key: c.recordKey, ...contributionOf(c).key };
}

/**
 * Keeps the cube in step with one case change (`before` null for a new case), inside the caller's transaction and
 * after the change's deadlines moved.
 */
export async function recordCaseChange(
  db: Knex.Transaction | CubeWriter,
  before: CaseFacts | null,
  after: CaseFacts & { seq: number },
): Promise<void> {
  const writer = writerOf(db);
  const delta = new CubeDelta();
  if (before) delta.add(contributionOf(before), -1);
  await delta.add(contributionOf(after), 1).apply(writer);
  const [earliest] = await writer.all(EARLIEST_RUNNING_LIMIT, [after.seq]);
  const running = runningRow(after, earliest?.due ? toIso(earliest.due as string) : null);
  if (running)
    await writer.all(
      UPSERT_RUNNING,
      RUNNING_COLUMNS.map((c) => running[c]),
    );
  else if (before) await writer.all(DELETE_RUNNING, [after.seq]);
}
