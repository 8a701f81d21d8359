/**
 * The token the gateway (or an agency's own router) sends to subgraphs: HS256 with JIEFEN_INTERNAL_SECRET,
 * audience `jiefen-subgraphs`, at most 60 seconds of life, carrying `sub`, `role` and `org` of the verified user.
 * A user's own token is never accepted here: it has another audience and another key.
 */
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { principalFromClaims, type Principal } from './principal.js';

export const INTERNAL_AUDIENCE = 'jiefen-subgraphs';
export const INTERNAL_ISSUER = 'jiefen-gateway';
export const INTERNAL_TOKEN_MAX_SECONDS = 60;

export class InternalAuthError extends Error {}

const keyCache = new Map<string, Uint8Array>();
function keyOf(secret: string): Uint8Array {
  let key = keyCache.get(secret);
  if (!key) keyCache.set(secret, (key = new TextEncoder().encode(secret)));
  return key;
}

export async function signInternalToken(
  principal: Principal,
  secret: string,
  lifetimeSeconds = INTERNAL_TOKEN_MAX_SECONDS,
): Promise<string> {
  const lifetime = Math.min(lifetimeSeconds, INTERNAL_TOKEN_MAX_SECONDS);
  const claims: Record<string, string> = { role: principal.role };
  if (principal.org) claims.org = principal.org;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(principal.sub)
    .setIssuer(INTERNAL_ISSUER)
    .setAudience(INTERNAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + lifetime)
    .sign(keyOf(secret));
}

/**
 * Verifies `Authorization: Bearer <internal token>`. Verified tokens are remembered until they expire,
 * so a burst of subgraph calls for one gateway request pays for one signature check.
 */
export function internalTokenVerifier(secret: string) {
  const verified = new Map<string, { principal: Principal; exp: number }>();
  return async function verify(authorization: string | undefined): Promise<Principal> {
    if (!authorization)
      throw new InternalAuthError('missing internal token: subgraphs are called through the gateway, which sends one');
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new InternalAuthError('Authorization header must be "Bearer <token>"');
    const token = match[1]!;
    const now = Date.now() / 1000;
    const hit = verified.get(token);
    if (hit && hit.exp > now) return hit.principal;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keyOf(secret), {
        algorithms: ['HS256'],
        audience: INTERNAL_AUDIENCE,
        issuer: INTERNAL_ISSUER,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new InternalAuthError('internal token expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed)
        throw new InternalAuthError(`internal token rejected: ${error.message}`);
      throw new InternalAuthError('not a valid internal token');
    }
    if (payload.exp! - payload.iat! > INTERNAL_TOKEN_MAX_SECONDS)
      throw new InternalAuthError('internal token lives longer than 60 s');
    const principal = principalFromClaims(payload, true);
    if (typeof principal === 'string') throw new InternalAuthError(`internal token rejected: ${principal}`);
    if (verified.size > 10_000) verified.clear();
    verified.set(token, { principal, exp: payload.exp! });
    return principal;
  };
}
