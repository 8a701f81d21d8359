/** The institutions subgraph's per-request loaders: references and joins resolve in one statement per batch. */
import { loaderPerArguments, mappedLoader, recordLoader } from '../../kit/loaders.js';
import type { PageWindow } from '../../kit/connection.js';
import type { HistoryStore, InstitutionStore } from './store.js';

export function createLoaders(store: InstitutionStore, history: HistoryStore) {
  return {
    institutionById: recordLoader((ids: readonly string[]) => store.byIds(ids), (i) => i.id),
    categories: mappedLoader((ids: readonly string[]) => store.categoriesOf(ids), () => []),
    managed: loaderPerArguments((window: PageWindow) => mappedLoader((ids: readonly string[]) => store.pageManagedBy(ids, window), () => [])),
    managedCount: mappedLoader((ids: readonly string[]) => store.countManagedBy(ids), () => 0),
    openComplaintCount: mappedLoader((ids: readonly string[]) => history.openComplaintCounts(ids), () => 0),
    changes: loaderPerArguments((window: PageWindow) => mappedLoader((ids: readonly string[]) => history.pageChangesOf(ids, window), () => [])),
    changeCount: mappedLoader((ids: readonly string[]) => history.countChangesOf(ids), () => 0),
  };
}

export type InstitutionLoaders = ReturnType<typeof createLoaders>;
