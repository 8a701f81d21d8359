/**
 * Verifies the user's `Authorization: Bearer <JWT>`. Development: HS256 with JIEFEN_JWT_SECRET. Production:
 * RS256/ES256 through the identity provider's JWKS, with issuer and audience checked.
 * No header at all means the anonymous principal, who is served only the public directory.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AuthError } from '../kit/http.js';
import type { HubConfig } from '../kit/config.js';
import { ANONYMOUS, principalFromClaims, type Principal } from '../kit/principal.js';

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature is not valid';
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `token claim '${error.claim}' rejected: ${error.reason}`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm is not allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return 'token was signed by a key the identity provider does not publish';
  return 'token is not a valid JWT';
}

export function userTokenVerifier(jwt: HubConfig['jwt']): (authorization: string | undefined) => Promise<Principal> {
  const key: Uint8Array | JWTVerifyGetKey = jwt.jwksUrl
    ? createRemoteJWKSet(new URL(jwt.jwksUrl))
    : new TextEncoder().encode(jwt.secret);
  const options = {
    algorithms: jwt.jwksUrl ? ['RS256', 'ES256'] : ['HS256'],
    issuer: jwt.issuer,
    audience: jwt.audience,
    requiredClaims: ['exp', 'sub'],
  };
  // A verified token is remembered until it expires: a client's next requests skip the signature check.
  const verified = new Map<string, { principal: Principal; exp: number }>();

  return async function authenticate(authorization) {
    if (authorization === undefined || authorization === '') return ANONYMOUS;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new AuthError('Authorization header must be "Bearer <token>"');
    const token = match[1]!;
    const hit = verified.get(token);
    if (hit && hit.exp > Date.now() / 1000) return hit.principal;
    let payload;
    try {
      ({ payload } =
        typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options));
    } catch (error) {
      throw new AuthError(reasonOf(error));
    }
    const principal = principalFromClaims(payload, false);
    if (typeof principal === 'string') throw new AuthError(principal);
    if (verified.size > 50_000) verified.clear();
    verified.set(token, { principal, exp: payload.exp! });
    return principal;
  };
}
