/** Who is asking: the verified identity the gateway forwards to every subgraph. */
import { forbidden } from './errors.js';
export const ROLES = [
  'admin',
  'intake',
  'supervisor',
  'institution',
  'court',
  'arbitration',
  'analyst',
  'steward',
] as const;
export type Role = (typeof ROLES)[number];

/** Roles that act for one organisation and so must carry its id in `org`. */
export const ORG_BOUND_ROLES: readonly Role[] = ['supervisor', 'institution', 'court', 'arbitration'];

/** A request without a token is served only the public directory, as this principal. */
export const PUBLIC_ROLE = 'public' as const;

export interface Principal {
  sub: string;
  role: Role | typeof PUBLIC_ROLE;
  org?: string;
}

export const ANONYMOUS: Principal = Object.freeze({ sub: 'anonymous', role: PUBLIC_ROLE });

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Checks the claims common to user and internal tokens; returns the reason they are unusable, or the principal. */
export function principalFromClaims(claims: Record<string, unknown>, allowPublic: boolean): Principal | string {
  const { sub, role, org } = claims;
  if (typeof sub !== 'string' || sub.length === 0) return 'token has no subject (sub)';
  if (!(isRole(role) || (allowPublic && role === PUBLIC_ROLE))) return `unknown role '${String(role)}'`;
  if (org !== undefined && typeof org !== 'string') return 'org claim must be a string';
  if (isRole(role) && ORG_BOUND_ROLES.includes(role) && !org) return `role '${role}' needs an org claim`;
  return org ? { sub, role, org } : { sub, role };
}

/** Refuses a principal whose role is not among `roles`, naming the operation and the roles it needs. */
export function requireRole(principal: Principal, roles: readonly Role[], operation: string): void {
  if (!(roles as readonly string[]).includes(principal.role)) {
    throw forbidden(`${operation} needs role ${roles.join(' or ')}`);
  }
}

/** Who a subgraph acts for: the principal, and what its request carries that a call to another office passes on. */
export interface Caller {
  principal: Principal;
  /** The `Authorization` header the request came with (an internal token). */
  authorization: string;
  requestId: string;
}
