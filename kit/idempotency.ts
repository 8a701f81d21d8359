/**
 * Idempotent mutations: a retry with the same key and the same input returns the first result and changes
 * nothing; the same key with a different input is refused. Keys are scoped to the principal, and the record is
 * written in the mutation's own transaction, so a crash leaves either both or neither.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { badInput } from './errors.js';
import type { Principal } from './principal.js';
import { sessionOf, type StoreSession } from './store.js';

const asSession = (db: Knex.Transaction | StoreSession): StoreSession => ('raw' in db ? sessionOf(db) : db);

export const IDEMPOTENCY_TABLE = 'idempotency_keys';

export async function createIdempotencyTable(knex: Knex): Promise<void> {
  await knex.schema.createTable(IDEMPOTENCY_TABLE, (t) => {
    t.string('principal', 200).notNullable();
    t.string('key', 128).notNullable();
    t.string('operation', 64).notNullable();
    t.string('request_hash', 64).notNullable();
    t.text('result').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.primary(['principal', 'key']);
  });
}

/** JSON with object keys sorted, so the same input always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export interface IdempotentRequest {
  principal: Principal;
  key: string | null | undefined;
  operation: string;
  input: unknown;
}

function identify(request: IdempotentRequest) {
  const key = request.key!;
  if (key.length === 0 || key.length > 128) throw badInput('idempotencyKey', 'must be 1 to 128 characters');
  const p = request.principal;
  return {
    principal: `${p.role}:${p.org ?? ''}:${p.sub}`,
    key,
    hash: createHash('sha256')
      .update(`${request.operation}\n${canonical(request.input)}`)
      .digest('hex'),
  };
}

/**
 * Runs an idempotent mutation's transaction (`recall` first, `remember` last). Two requests with one key at once
 * both find no record and both do the work; on PostgreSQL the later one then fails: its write meets the first one's
 * key or another unique key the first one took, or a check sees what the first one just committed (an open
 * referral, a name now taken). A request that fails with a key reads the key once more: if a request with it has
 * committed meanwhile, that one's result is the answer (a different input is still refused), so every request with
 * the key gets the one result.
 */
export async function oneResultPerKey<T>(knex: Knex, request: IdempotentRequest, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (request.key === undefined || request.key === null) throw error;
    const earlier = await knex.transaction((trx) => recall<T>(trx, request));
    if (earlier === undefined) throw error;
    return earlier;
  }
}

/** The stored result of an earlier identical request, or undefined when the key is new (or none was given). */
export async function recall<T>(
  db: Knex.Transaction | StoreSession,
  request: IdempotentRequest,
): Promise<T | undefined> {
  if (request.key === undefined || request.key === null) return undefined;
  const id = identify(request);
  const row = await asSession(db).get<{ request_hash: string; operation: string; result: string }>(
    `select request_hash, operation, result from ${IDEMPOTENCY_TABLE} where principal = ? and "key" = ?`,
    [id.principal, id.key],
  );
  if (!row) return undefined;
  if (row.request_hash !== id.hash)
    throw badInput(
      'idempotencyKey',
      `already used for a different ${row.operation} request: use a new key for a new request`,
    );
  return JSON.parse(row.result) as T;
}

export async function remember(
  db: Knex.Transaction | StoreSession,
  request: IdempotentRequest,
  result: unknown,
): Promise<void> {
  if (request.key === undefined || request.key === null) return;
  const id = identify(request);
  await asSession(db).run(
    `insert into ${IDEMPOTENCY_TABLE} (principal, "key", operation, request_hash, result, created_at) values (?, ?, ?, ?, ?, ?)`,
    [id.principal, id.key, request.operation, id.hash, JSON.stringify(result), new Date().toISOString()],
  );
}
