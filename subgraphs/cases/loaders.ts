/** The cases subgraph's per-request loaders: every join and every reference resolves in one statement per batch. */
import { loaderPerArguments, mappedLoader, recordLoader } from '../../kit/loaders.js';
import type { PageWindow } from '../../kit/connection.js';
import type { CaseFilter, CaseStore } from './store.js';
import { noParts, type FigurePolicy } from './statistics/disclosure.js';

/** `policy`: the request's figure policy, for the totals of `Institution.cases`. */
export function createLoaders(store: CaseStore, policy: FigurePolicy) {
  return {
    caseById: recordLoader(
      (ids: readonly string[]) => store.byIds(ids),
      (c) => c.id,
    ),
    parties: mappedLoader(
      (seqs: readonly number[]) => store.partiesOf(seqs),
      () => [],
    ),
    timeline: mappedLoader(
      (seqs: readonly number[]) => store.eventsOf(seqs),
      () => [],
    ),
    deadlines: mappedLoader(
      (seqs: readonly number[]) => store.deadlinesOf(seqs),
      () => [],
    ),
    casesOfInstitution: loaderPerArguments(({ filter, window }: { filter: CaseFilter; window: PageWindow }) =>
      mappedLoader(
        (ids: readonly string[]) => store.pageForInstitutions(ids, filter, window),
        () => [],
      ),
    ),
    /** Each institution's cases the filter selects, as a figure's parts (statistics/disclosure.ts). */
    caseCountOfInstitution: loaderPerArguments((filter: CaseFilter) =>
      mappedLoader((ids: readonly string[]) => store.countPartsForInstitutions(ids, filter, policy), noParts),
    ),
  };
}

export type CaseLoaders = ReturnType<typeof createLoaders>;
