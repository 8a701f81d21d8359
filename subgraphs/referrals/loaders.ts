/** The referrals subgraph's per-request loaders: references and joins resolve in one statement per batch. */
import { loaderPerArguments, mappedLoader, recordLoader } from '../../kit/loaders.js';
import type { PageWindow } from '../../kit/connection.js';
import type { KeptReads } from '../../kit/generation.js';
import { EMPTY_STATS, type ReferralFilter, type ReferralStore, type StatsPeriod } from './store.js';

/**
 * `figures`: referral figures are kept under the referrals' generation (kit/generation.ts) across requests. They
 * depend on nothing but the referrals, the targets and the period, whoever asks.
 */
export function createLoaders(store: ReferralStore, figures: KeptReads) {
  const kept = figures.forRequest(Date.now);
  return {
    referralById: recordLoader(
      (ids: readonly string[]) => store.byIds(ids),
      (r) => r.id,
    ),
    referralsOfCase: mappedLoader(
      (ids: readonly string[]) => store.ofCases(ids),
      () => [],
    ),
    history: mappedLoader(
      (seqs: readonly number[]) => store.eventsOf(seqs),
      () => [],
    ),
    received: loaderPerArguments(({ filter, window }: { filter: ReferralFilter; window: PageWindow }) =>
      mappedLoader(
        (ids: readonly string[]) => store.pageForTargets(ids, filter, window),
        () => [],
      ),
    ),
    receivedCount: loaderPerArguments((filter: ReferralFilter) =>
      mappedLoader(
        (ids: readonly string[]) => store.countForTargets(ids, filter),
        () => 0,
      ),
    ),
    stats: loaderPerArguments(({ period, median }: { period: StatsPeriod; median: boolean }) =>
      mappedLoader(
        (ids: readonly string[]) =>
          kept.read(JSON.stringify([median, period.from, period.to, ids]), async () => ({
            value: await (median ? store.statsForTargets(ids, period) : store.countsForTargets(ids, period)),
            validUntil: Infinity,
          })),
        () => EMPTY_STATS,
      ),
    ),
  };
}

export type ReferralLoaders = ReturnType<typeof createLoaders>;
