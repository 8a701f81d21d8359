/**
 * Opens one subgraph's own database through knex: an embedded sqlite file under the data directory
 * (WAL mode, foreign keys on), or PostgreSQL when the subgraph's DATABASE_URL says so. Runs its migrations.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { observeStore } from './tracing.js';

export type { Knex };

export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export interface StoreOptions {
  /** The subgraph's name: names the sqlite file and the migrations table. */
  name: string;
  /** `postgres://…` for PostgreSQL; empty for sqlite under dataDir. */
  url?: string;
  dataDir: string;
  migrations: Migration[];
}

/** A write refused by a unique key: PostgreSQL's 23505, sqlite's UNIQUE or PRIMARY KEY constraint. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e?.code === '23505' ||
    (typeof e?.code === 'string' &&
      e.code.startsWith('SQLITE_CONSTRAINT') &&
      /UNIQUE|PRIMARY KEY/.test(e.message ?? ''))
  );
}

export function isPostgres(knex: Knex): boolean {
  return knex.client.config.client === 'pg';
}

export async function openStore(options: StoreOptions): Promise<Knex> {
  const knex = options.url
    ? openPostgres(options.url)
    : openSqlite(path.join(options.dataDir, `${options.name}.sqlite`));
  try {
    await migrate(knex, options.migrations, options.name);
  } catch (error) {
    await knex.destroy();
    throw error;
  }
  observeStore(knex, options.name);
  return knex;
}

const INT8_OID = 20;

/**
 * PostgreSQL's 64-bit integers (`count(*)`, `bigint` columns) read as numbers, as sqlite gives them: the same code
 * and the same comparisons hold on both stores. Counts and keys stay far below 2^53.
 */
const types = {
  getTypeParser: (oid: number, format: string) =>
    oid === INT8_OID && format === 'text' ? Number : pg.types.getTypeParser(oid, format as 'text'),
};

function openPostgres(url: string): Knex {
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new Error(`database URL must start with postgres:// (got '${url.split(':')[0]}:…')`);
  return knexFactory({ client: 'pg', connection: { connectionString: url, types }, pool: { min: 0, max: 10 } });
}

function openSqlite(filename: string): Knex {
  fs.mkdirSync(path.dirname(filename), { recursive: true });
  return knexFactory({
    // better-sqlite3 runs each statement synchronously on the calling thread: a write transaction is one stretch of
    // work, not a round trip through libuv's thread pool per statement (issue 3 measured the difference).
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
        try {
          // busy_timeout: a second process (the seeder, a test) may hold the write lock for a moment.
          // mmap_size: statistics reads touch pages all over a large file; reading them mapped, not one system call
          // a page, halved a 12,000-atom read at a million cases (17 -> 8 ms). It maps address space, not memory.
          conn.exec(
            'PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA mmap_size = 1073741824;',
          );
          keepPreparedStatements(conn);
          done(null, conn);
        } catch (error) {
          done(error as Error, conn);
        }
      },
    },
  });
}

async function migrate(knex: Knex, migrations: Migration[], name: string): Promise<void> {
  // Migrations are listed in code, not discovered on disk, so the same list runs from sources and from tests.
  const byName = new Map(migrations.map((m) => [m.name, m]));
  await knex.migrate.latest({
    tableName: `knex_migrations_${name}`,
    migrationSource: {
      getMigrations: async () => migrations.map((m) => m.name),
      getMigrationName: (migration: string) => migration,
      getMigration: async (migration: string) => byName.get(migration)!,
    },
  });
}

/** Counts SQL statements sent through a knex instance (tests prove batching with it). */
export function statementCounter(knex: Knex): { count(): number; reset(): void; stop(): void } {
  let n = 0;
  const listener = () => {
    n++;
  };
  knex.on('query', listener);
  return {
    count: () => n,
    reset: () => {
      n = 0;
    },
    stop: () => {
      knex.removeListener('query', listener);
    },
  };
}

/** True when the table has no rows (the launcher seeds demo data only into empty stores). */
export async function isEmpty(knex: Knex, table: string): Promise<boolean> {
  return (await knex(table).first(knex.raw('1 as present'))) === undefined;
}

/**
 * Rows inserted with explicit keys leave PostgreSQL's serial sequence behind; this moves it past the largest key.
 * sqlite needs nothing: its rowid follows the largest key by itself.
 */
export async function resyncSerial(knex: Knex, table: string, column: string): Promise<void> {
  if (!isPostgres(knex)) return;
  await knex.raw(`select setval(pg_get_serial_sequence(?, ?), coalesce((select max(??) from ??), 0) + 1, false)`, [
    table,
    column,
    column,
    table,
  ]);
}

/** Inserts many rows in chunks that stay under the database's limit on bound parameters. */
export async function insertChunked(
  trx: Knex.Transaction,
  table: string,
  rows: Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) return;
  const perRow = Object.keys(rows[0]!).length;
  // sqlite also caps a multi-row insert (knex writes it as a compound SELECT) at 500 rows.
  const chunk = Math.max(1, Math.min(400, Math.floor(30_000 / perRow)));
  for (let i = 0; i < rows.length; i += chunk) await trx(table).insert(rows.slice(i, i + chunk));
}

/** The rows of a raw statement, whichever driver ran it (pg wraps them in `{ rows }`, better-sqlite3 does not). */
export function rowsOf<T = Record<string, unknown>>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? []);
}

/** Locks the rows a query reads until the transaction ends, where the database can (sqlite serializes writers). */
export function lockingRows<Q extends Knex.QueryBuilder>(knex: Knex, query: Q): Q {
  if (isPostgres(knex)) query.forUpdate();
  return query;
}

/** One writer at a time past this point, keyed by `key`, until the transaction ends (sqlite has one writer anyway). */
export async function serializeWriters(trx: Knex.Transaction, key: number): Promise<void> {
  if (isPostgres(trx)) await trx.raw('select pg_advisory_xact_lock(?)', [key]);
}

/** SQL that concatenates `expression` over a group's rows, in no particular order. */
export function concatenated(knex: Knex, expression: string): string {
  return isPostgres(knex) ? `string_agg(${expression}, '')` : `group_concat(${expression}, '')`;
}

/**
 * Reads one row and holds it against concurrent changes until the transaction ends: `select … for update` on
 * PostgreSQL; on sqlite a no-op write first, so the transaction takes the single writer lock before it reads
 * (a deferred transaction that reads first could see a snapshot another writer is about to change).
 */
export async function selectForUpdate<T = Record<string, any>>(
  trx: Knex.Transaction,
  table: string,
  where: Record<string, unknown>,
): Promise<T | undefined> {
  if (isPostgres(trx)) return trx(table).where(where).forUpdate().first();
  const [column] = Object.keys(where);
  await trx(table)
    .where(where)
    .update({ [column!]: where[column!] });
  return trx(table).where(where).first();
}

/**
 * One transaction's statements, the same on every store: plain SQL with `?` placeholders. A change is written once
 * over it; `transaction` runs it on sqlite's kept prepared statements or in a PostgreSQL transaction.
 */
export interface StoreSession extends SqliteSession {
  /** Appended to a select of rows the transaction will change: locks them on PostgreSQL (sqlite's writer lock is taken at BEGIN). */
  readonly forUpdate: string;
}

/** A knex transaction's statements as a session (a transaction knex opened, e.g. one that also inserts through knex). */
export function sessionOf(trx: Knex.Transaction): StoreSession {
  const postgres = isPostgres(trx);
  return {
    forUpdate: postgres ? ' for update' : '',
    get: async <R>(sql: string, params: unknown[]) => rowsOf<R>(await trx.raw(sql, params as Knex.RawBinding[]))[0],
    all: async <R>(sql: string, params: unknown[]) => rowsOf<R>(await trx.raw(sql, params as Knex.RawBinding[])),
    run: async (sql, params) => {
      const result = (await trx.raw(sql, params as Knex.RawBinding[])) as { rowCount?: number; changes?: number };
      return (postgres ? result.rowCount : result.changes) ?? 0;
    },
  };
}

/** Runs `work` in one transaction, on each store's quickest way to run plain statements; commits when it resolves. */
export function transaction<T>(knex: Knex, work: (session: StoreSession) => Promise<T>): Promise<T> {
  if (isPostgres(knex)) return knex.transaction((trx) => work(sessionOf(trx)));
  return sqliteTransaction(knex, (session) => work({ ...session, forUpdate: '' }));
}

/** Plain statements on sqlite's own connection, inside one transaction (see `sqliteTransaction`). */
export interface SqliteSession {
  get<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<T | undefined>;
  all<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<T[]>;
  /** Runs a write; resolves with the number of rows it changed. */
  run(sql: string, params: unknown[]): Promise<number>;
}

interface SqliteStatement {
  readonly reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}
/** The part of a better-sqlite3 connection used here. */
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
}

const PREPARED_KEPT = 1000;

/**
 * Makes the connection keep its prepared statements by SQL text (the oldest dropped beyond PREPARED_KEPT): knex's
 * better-sqlite3 dialect prepares every query anew, which cost about 4 % of a busy subgraph's CPU. Safe to share:
 * knex and sqliteTransaction only run statements to completion (all/run), never leave one iterating.
 */
function keepPreparedStatements(conn: SqliteConnection): void {
  const kept = new Map<string, SqliteStatement>();
  const prepare = conn.prepare.bind(conn);
  conn.prepare = (sql: string) => {
    let statement = kept.get(sql);
    if (!statement) {
      if (kept.size >= PREPARED_KEPT) kept.delete(kept.keys().next().value!);
      kept.set(sql, (statement = prepare(sql)));
    }
    return statement;
  };
}

/** sqlite binds numbers, strings, buffers and null; booleans go in as 1 and 0, as knex writes them. */
function bindable(params: unknown[]): unknown[] {
  return params.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value === undefined ? null : value));
}

/**
 * A sqlite transaction on knex's one pooled connection, on the statements it keeps prepared: a hot write
 * path pays a fraction of what knex's query builder and transaction machinery cost per statement. Knex's other
 * queries wait for the connection meanwhile, as they do for a knex transaction. Commits when `work` resolves,
 * rolls back when it throws.
 */
export async function sqliteTransaction<T>(knex: Knex, work: (session: SqliteSession) => Promise<T>): Promise<T> {
  const conn = (await knex.client.acquireConnection()) as SqliteConnection;
  // Runs any statement: one that answers rows (a read, or a write with `returning`) is read to its end; a plain
  // write answers no rows and the number it changed.
  const execute = (sql: string, params: unknown[]): { rows: unknown[]; changes: number } => {
    const statement = conn.prepare(sql);
    if (!statement.reader) return { rows: [], changes: statement.run(...bindable(params)).changes };
    const rows = statement.all(...bindable(params));
    return { rows, changes: rows.length };
  };
  const session: SqliteSession = {
    get: async <R>(sql: string, params: unknown[]) => execute(sql, params).rows[0] as R | undefined,
    all: async <R>(sql: string, params: unknown[]) => execute(sql, params).rows as R[],
    run: async (sql, params) => execute(sql, params).changes,
  };
  try {
    conn.exec('BEGIN IMMEDIATE');
    try {
      const result = await work(session);
      conn.exec('COMMIT');
      return result;
    } catch (error) {
      conn.exec('ROLLBACK');
      throw error;
    }
  } finally {
    await knex.client.releaseConnection(conn);
  }
}
