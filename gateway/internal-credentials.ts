/**
 * The internal token the gateway sends each subgraph for a principal. Tokens live 60 s; one is reused for
 * 30 s per principal, so a subgraph always receives one with at least 30 s left and signing stays off the hot path.
 */
import { signInternalToken } from '../kit/internal-token.js';
import type { Principal } from '../kit/principal.js';

const REUSE_MS = 30_000;

export function internalCredentials(secret: string): (principal: Principal) => Promise<string> {
  const minted = new Map<string, { token: Promise<string>; at: number }>();
  return (principal) => {
    const key = `${principal.role}\u0000${principal.org ?? ''}\u0000${principal.sub}`;
    const now = Date.now();
    const hit = minted.get(key);
    if (hit && now - hit.at < REUSE_MS) return hit.token;
    if (minted.size > 50_000) minted.clear();
    const token = signInternalToken(principal, secret);
    minted.set(key, { token, at: now });
    return token;
  };
}
