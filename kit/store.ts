/**
 * Opens one subgraph's own database through knex: an embedded sqlite file under the data directory
 * (WAL mode, foreign keys on), or PostgreSQL when the subgraph's DATABASE_URL says so. Runs its migrations.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';

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

export function isPostgres(knex: Knex): boolean {
  return knex.client.config.client === 'pg';
}

export async function openStore(options: StoreOptions): Promise<Knex> {
  const knex = options.url ? openPostgres(options.url) : openSqlite(path.join(options.dataDir, `${options.name}.sqlite`));
  try {
    await migrate(knex, options.migrations, options.name);
  } catch (error) {
    await knex.destroy();
    throw error;
  }
  return knex;
}

function openPostgres(url: string): Knex {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`database URL must start with postgres:// (got '${url.split(':')[0]}:…')`);
  return knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
}

function openSqlite(filename: string): Knex {
  fs.mkdirSync(path.dirname(filename), { recursive: true });
  return knexFactory({
    client: 'sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { exec(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
        // busy_timeout: a second process (the seeder, a test) may hold the write lock for a moment.
        conn.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;', (err) => done(err, conn));
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
  const listener = () => { n++; };
  knex.on('query', listener);
  return { count: () => n, reset: () => { n = 0; }, stop: () => { knex.removeListener('query', listener); } };
}
