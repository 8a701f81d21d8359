/**
 * Computed statistics kept between requests, exactly as long as they are right.
 *
 * - Every write of the cube or of the running-limits table raises the cube's generation in the same transaction
 *   (`case_stats_generation`, cells.ts `CubeDelta.apply`). The number is in the database, so a write through any
 *   replica of this subgraph is seen by every other.
 * - A request reads the generation once, first. A value is taken from the cache only if it was computed at that same
 *   generation: no write has committed since, so the cube it was read from is the cube now.
 * - A value computed on a miss is kept only if the generation read again after computing is still the one read
 *   before: then no write committed while its statements ran, and each of them saw the cube of that generation.
 *   (A value computed across a write is answered, as it would be without a cache, and not kept.)
 * - Figures that move with the clock alone (overdue now) carry the instant they stop being right: the earliest due
 *   time still ahead among the running limits they count. Until a write, the set of running limits is fixed, so
 *   the counts cannot change before then.
 * - Keys hold everything the value depends on: which read, the filter, the grouping and the principal's suppression
 *   policy (threshold and own scope). Nothing else of the principal is used by a statistics read.
 *
 * Entries of an older generation are dropped as soon as a request sees a newer one; the map is bounded.
 */
export interface Cached<V> {
  value: V;
  /** Epoch ms from which the value may be wrong even without a write (Infinity: only a write ends it). */
  validUntil: number;
}

export class StatisticsCache {
  private generation = -1;
  private readonly entries = new Map<string, Cached<unknown>>();

  constructor(
    /** Reads the cube's generation now in the database. */
    private readonly readGeneration: () => Promise<number>,
    readonly enabled: boolean,
    private readonly maxEntries = 2000,
  ) {}

  /** The generation a request works at (read once per request). */
  current(): Promise<number> {
    return this.readGeneration();
  }

  /**
   * The value under `key` computed at `generation` and still valid at `now`, or computes it (and keeps it when no
   * write committed meanwhile).
   */
  async get<V>(generation: number, key: string, now: number, compute: () => Promise<Cached<V>>): Promise<V> {
    if (!this.enabled) return (await compute()).value;
    if (generation > this.generation) {
      this.entries.clear();
      this.generation = generation;
    }
    if (generation === this.generation) {
      const hit = this.entries.get(key);
      if (hit && now < hit.validUntil) return hit.value as V;
    }
    const computed = await compute();
    if (generation === this.generation && (await this.readGeneration()) === generation) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, computed);
    }
    return computed.value;
  }
}
