/**
 * Party pseudonyms: HMAC-SHA-256 of the identity number under a key derived for each consumer from the master key.
 * Stable for one consumer (repeat parties can be counted), different between consumers (data sets cannot be joined),
 * and not a plain hash (the ID-number space is small enough to brute-force).
 */
import { createHmac } from 'node:crypto';
import type { Principal } from '../../../kit/principal.js';

export function consumerOf(principal: Principal): string {
  // Organisations consume as themselves; people and systems without one as their subject.
  return principal.org ? `org:${principal.org}` : `sub:${principal.sub}`;
}

export function pseudonymizer(masterKey: string) {
  const keys = new Map<string, Buffer>();
  return (principal: Principal, idNumber: string): string => {
    const consumer = consumerOf(principal);
    let key = keys.get(consumer);
    if (!key) {
      key = createHmac('sha256', masterKey).update(`jiefen-pseudonym:${consumer}`).digest();
      if (keys.size > 10_000) keys.clear();
      keys.set(consumer, key);
    }
    return createHmac('sha256', key).update(idNumber).digest('base64url').slice(0, 32);
  };
}
