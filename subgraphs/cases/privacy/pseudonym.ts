/**
 * Party pseudonyms: HMAC-SHA-256 of the identity number under a key derived from the master key for each consumer
 * and each scope of what that consumer may link. Within one scope a party's pseudonym is stable (repeat parties can
 * be counted, a party followed across the consumer's own cases); across two scopes of one consumer, and between two
 * consumers, the pseudonyms differ, so the ID number a grant shows in clear beside a pseudonym re-identifies nobody
 * outside that grant's scope. Not a plain hash: the ID-number space is small enough to brute-force.
 */
import { createHmac } from 'node:crypto';
import type { Principal } from '../../../kit/principal.js';

/** The cases the consumer handles (CLEAR_ACCESS in kit/privacy.ts). */
export const OWN_CASES = 'own cases';
/** The cases it neither handles nor holds a grant for: it sees no party data of them, only their pseudonyms. */
export const OUTSIDE_SCOPES = 'outside its scopes';
/** The cases one grant in force takes in. */
export const grantScope = (grantId: string) => `grant ${grantId}`;

export function consumerOf(principal: Principal): string {
  // Organisations consume as themselves; people and systems without one as their subject.
  return principal.org ? `org:${principal.org}` : `sub:${principal.sub}`;
}

export function pseudonymizer(masterKey: string) {
  const keys = new Map<string, Buffer>();
  return (principal: Principal, scope: string, idNumber: string): string => {
    const context = `jiefen-pseudonym\u001f${consumerOf(principal)}\u001f${scope}`;
    let key = keys.get(context);
    if (!key) {
      key = createHmac('sha256', masterKey).update(context).digest();
      if (keys.size > 10_000) keys.clear();
      keys.set(context, key);
    }
    return createHmac('sha256', key).update(idNumber).digest('base64url').slice(0, 32);
  };
}
