/** Development user tokens (HS256 with JIEFEN_JWT_SECRET), for `npm run token`, examples and tests. Never for production. */
import { SignJWT } from 'jose';
import type { Role } from '../kit/principal.js';

export interface DevTokenClaims {
  sub: string;
  role: Role | string;
  org?: string;
}

export async function signDevToken(
  claims: DevTokenClaims,
  secret: string,
  lifetimeSeconds = 8 * 3600,
): Promise<string> {
  const body: Record<string, string> = { role: claims.role };
  if (claims.org) body.org = claims.org;
  return new SignJWT(body)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeSeconds)
    .sign(new TextEncoder().encode(secret));
}
