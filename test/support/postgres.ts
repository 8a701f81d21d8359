/**
 * Fresh PostgreSQL databases for a test, made on the server in JIEFEN_TEST_POSTGRES_URL
 * (default postgres://postgres@127.0.0.1:5432/test) and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';

export const POSTGRES_URL = process.env.JIEFEN_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

export async function postgresReachable(): Promise<boolean> {
  const admin = knexFactory({
    client: 'pg',
    connection: { connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 },
  });
  try {
    await admin.raw('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await admin.destroy();
  }
}

export async function createDatabases(
  names: string[],
): Promise<{ urls: Record<string, string>; drop(): Promise<void> }> {
  const admin = knexFactory({ client: 'pg', connection: POSTGRES_URL });
  const suffix = randomBytes(4).toString('hex');
  const urls: Record<string, string> = {};
  for (const name of names) {
    const database = `jiefen_test_${suffix}_${name}`;
    await admin.raw('create database ??', [database]);
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${database}`;
    urls[name] = url.toString();
  }
  return {
    urls,
    async drop() {
      for (const url of Object.values(urls))
        await admin.raw('drop database if exists ?? with (force)', [new URL(url).pathname.slice(1)]);
      await admin.destroy();
    },
  };
}
