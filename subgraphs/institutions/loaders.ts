/**
 * The institutions subgraph's per-request loaders: references and joins resolve in one statement per batch. Pages of
 * the registry (`registryPage`, `registryCount`) are kept across requests under the registry's generation
 * (kit/generation.ts): a dashboard asks for the same district's institutions again and again, and the registry
 * changes only when a change request is approved.
 */
import { loaderPerArguments, mappedLoader, recordLoader } from '../../kit/loaders.js';
import type { PageWindow } from '../../kit/connection.js';
import type { KeptReads } from '../../kit/generation.js';
import type { HistoryStore, InstitutionFilter, InstitutionRecord, InstitutionStore } from './store.js';

export function createLoaders(store: InstitutionStore, history: HistoryStore, registry: KeptReads) {
  const kept = registry.forRequest(Date.now);
  return {
    registryPage: (filter: InstitutionFilter, window: PageWindow): Promise<InstitutionRecord[]> =>
      kept.read(JSON.stringify(['page', filter, window]), async () => ({
        value: await store.list(filter, window),
        validUntil: Infinity,
      })),
    registryCount: (filter: InstitutionFilter): Promise<number> =>
      kept.read(JSON.stringify(['count', filter]), async () => ({
        value: await store.count(filter),
        validUntil: Infinity,
      })),
    institutionById: recordLoader(
      (ids: readonly string[]) => store.byIds(ids),
      (i) => i.id,
    ),
    categories: mappedLoader(
      (ids: readonly string[]) => store.categoriesOf(ids),
      () => [],
    ),
    managed: loaderPerArguments((window: PageWindow) =>
      mappedLoader(
        (ids: readonly string[]) => store.pageManagedBy(ids, window),
        () => [],
      ),
    ),
    managedCount: mappedLoader(
      (ids: readonly string[]) => store.countManagedBy(ids),
      () => 0,
    ),
    openComplaintCount: mappedLoader(
      (ids: readonly string[]) => history.openComplaintCounts(ids),
      () => 0,
    ),
    changes: loaderPerArguments((window: PageWindow) =>
      mappedLoader(
        (ids: readonly string[]) => history.pageChangesOf(ids, window),
        () => [],
      ),
    ),
    changeCount: mappedLoader(
      (ids: readonly string[]) => history.countChangesOf(ids),
      () => 0,
    ),
  };
}

export type InstitutionLoaders = ReturnType<typeof createLoaders>;
