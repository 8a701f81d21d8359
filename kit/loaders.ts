/**
 * Per-request DataLoaders over store functions that take many keys at once: one statement per batch,
 * however many parents ask. Loaders live in the request context, so nothing is shared between principals.
 */
import DataLoader from 'dataloader';

export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** Loads the one record with each key, or null. */
export function recordLoader<K, V>(
  fetch: (keys: readonly K[]) => Promise<V[]>,
  keyOf: (record: V) => K,
): DataLoader<K, V | null> {
  return new DataLoader(async (keys) => {
    const byKey = new Map((await fetch(keys)).map((record) => [keyOf(record), record]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** Loads the value each key maps to (a list of children, a count), with a fallback for keys that have none. */
export function mappedLoader<K, V>(
  fetch: (keys: readonly K[]) => Promise<Map<K, V>>,
  fallback: () => V,
): DataLoader<K, V> {
  return new DataLoader(async (keys) => {
    const byKey = await fetch(keys);
    return keys.map((key) => byKey.get(key) ?? fallback());
  });
}

/**
 * Loaders for a field with arguments (e.g. `Institution.cases(filter, first)`): one loader per distinct
 * argument set, so parents asking with the same arguments share one batch.
 */
export function loaderPerArguments<A, K, V>(make: (args: A) => DataLoader<K, V>): (args: A) => DataLoader<K, V> {
  const loaders = new Map<string, DataLoader<K, V>>();
  return (args) => {
    const key = JSON.stringify(args);
    let loader = loaders.get(key);
    if (!loader) loaders.set(key, (loader = make(args)));
    return loader;
  };
}
