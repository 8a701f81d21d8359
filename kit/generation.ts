/**
 * A store's generation: a number in the database that every write of some data raises in its own transaction, so
 * that values computed from that data can be kept in memory exactly as long as they are right (KeptReads).
 *
 * It is the sum of GENERATION_STRIPES rows, and a write raises one of them at random: a single row would be locked
 * by every writing transaction until its commit, which on PostgreSQL queued all case status changes behind each
 * other (386 -> 216 changes a second in the benchmark). Being in the database, not in a process, it lets every
 * replica of a subgraph see every other's writes.
 */
import { rowsOf, type Knex } from './store.js';

export const GENERATION_STRIPES = 64;

/** Creates a generation table (in a migration): GENERATION_STRIPES rows at 0. */
export async function createGenerationTable(knex: Knex, table: string): Promise<void> {
  await knex.schema.createTable(table, (t) => {
    t.integer('id').primary();
    t.bigInteger('generation').notNullable();
  });
  await knex(table).insert(Array.from({ length: GENERATION_STRIPES }, (_, id) => ({ id, generation: 0 })));
}

/** The statement that raises a generation, and its bindings: run it in the writing transaction. */
export function raiseGeneration(table: string): { sql: string; bindings: [number] } {
  return {
    sql: `update ${table} set generation = generation + 1 where id = ?`,
    bindings: [Math.floor(Math.random() * GENERATION_STRIPES)],
  };
}

/** Raises a generation in a writing knex transaction. */
export async function raiseGenerationIn(trx: Knex.Transaction, table: string): Promise<void> {
  const raise = raiseGeneration(table);
  await trx.raw(raise.sql, raise.bindings);
}

/** The generation now. */
export async function readGeneration(knex: Knex, table: string): Promise<number> {
  const [row] = rowsOf<{ generation: unknown }>(await knex(table).sum({ generation: 'generation' }));
  return Number(row?.generation ?? 0);
}

/** One request's reads through a KeptReads. */
export interface RequestReads {
  read<V>(key: string, compute: () => Promise<Cached<V>>): Promise<V>;
  /** The earliest instant a value read so far may go wrong without any write (Infinity: only a write). */
  validUntil: number;
}

/** A value kept under a generation, and the instant it may go wrong without any write (Infinity: only a write). */
export interface Cached<V> {
  value: V;
  validUntil: number;
}

/**
 * Computed values kept between requests, exactly as long as they are right:
 * - A request reads the generation once, first. A value is taken from the cache only if it was computed at that same
 *   generation: no write has committed since, so the data it was read from is the data now.
 * - A value computed on a miss is kept only if the generation read again after computing is still the one read
 *   before: then no write committed while its statements ran. (A value computed across a write is answered, as it
 *   would be without a cache, and not kept.)
 * - Values that move with the clock alone carry the instant they stop being right (`validUntil`).
 * - Keys must hold everything the value depends on besides the data (the read, its arguments, the caller's policy).
 * Entries of an older generation are dropped as soon as a request sees a newer one; the map is bounded.
 */
export class KeptReads {
  private generation = -1;
  private readonly entries = new Map<string, Cached<unknown>>();

  constructor(
    /** Reads the generation now in the database. */
    private readonly readGeneration: () => Promise<number>,
    readonly enabled: boolean,
    private readonly maxEntries = 2000,
  ) {}

  /**
   * A request's lookups: the generation is read once, at its first lookup, and every value it takes is of that
   * generation, so one answer never mixes data from before and after a write. It also tracks until when the values
   * it took hold without a write (the cases subgraph tells the gateway, which keeps whole answers that long).
   */
  forRequest(now: () => number): RequestReads {
    let generation: Promise<number> | null = null;
    const reads: RequestReads = {
      validUntil: Infinity,
      read: async <V>(key: string, compute: () => Promise<Cached<V>>): Promise<V> => {
        const taken = this.enabled
          ? await this.get(await (generation ??= this.readGeneration()), key, now(), compute)
          : await compute();
        reads.validUntil = Math.min(reads.validUntil, taken.validUntil);
        return taken.value;
      },
    };
    return reads;
  }

  /** The value under `key` computed at `generation` and still valid at `now`, or computes it (and keeps it when no write committed meanwhile). */
  private async get<V>(
    generation: number,
    key: string,
    now: number,
    compute: () => Promise<Cached<V>>,
  ): Promise<Cached<V>> {
    if (generation > this.generation) {
      this.entries.clear();
      this.generation = generation;
    }
    if (generation === this.generation) {
      const hit = this.entries.get(key);
      if (hit && now < hit.validUntil) return hit as Cached<V>;
    }
    const computed = await compute();
    if (generation === this.generation && (await this.readGeneration()) === generation) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, computed);
    }
    return computed;
  }
}
