/** Consent grants: a steward lets a grantee see some categories of party data, for a purpose, a scope and a time. */
import { randomUUID } from 'node:crypto';
import type { Knex } from '../../../kit/store.js';
import { toIso } from '../../../kit/scalars.js';
import { badInput, notFound, hubError, ErrorCode } from '../../../kit/errors.js';
import { PII_CATEGORIES, type PiiCategory } from '../../../kit/privacy.js';
import { DISTRICTS } from '../../../kit/reference-data.js';
import type { Grant } from './policy.js';

export interface GrantInput {
  grantee: string;
  categories: PiiCategory[];
  purpose: string;
  scope?: { institutionId?: string | null; district?: string | null; caseId?: string | null } | null;
  expiresAt: string;
}

export interface GrantRecord extends Grant {
  grantee: string;
  purpose: string;
  grantedBy: string;
  grantedAt: string;
  revokedBy: string | null;
  revokedAt: string | null;
}

type Row = Record<string, any>;

function toGrant(row: Row): GrantRecord {
  return {
    id: row.id, grantee: row.grantee, categories: String(row.categories).split(',') as PiiCategory[], purpose: row.purpose,
    scopeInstitutionId: row.scope_institution_id, scopeDistrict: row.scope_district, scopeCaseId: row.scope_case_id,
    expiresAt: toIso(row.expires_at)!, grantedBy: row.granted_by, grantedAt: toIso(row.granted_at)!,
    revokedBy: row.revoked_by, revokedAt: toIso(row.revoked_at),
  };
}

export class GrantStore {
  constructor(private readonly knex: Knex, private readonly clock: () => Date) {}

  /** The grantee's grants that are in force now (not revoked, not expired). Read on every request, never cached. */
  async activeFor(grantee: string): Promise<GrantRecord[]> {
    const rows = await this.knex('consent_grants').where('grantee', grantee).whereNull('revoked_at').where('expires_at', '>', this.clock().toISOString());
    return rows.map(toGrant);
  }

  async create(input: GrantInput, grantedBy: string, trx: Knex.Transaction): Promise<GrantRecord> {
    const grantee = input.grantee?.trim();
    if (!grantee || grantee.length > 128) throw badInput('grantee', 'must be the subject of the principal that receives access (1 to 128 characters)');
    if (!input.categories?.length) throw badInput('categories', `must name at least one of ${PII_CATEGORIES.join(', ')}`);
    const purpose = input.purpose?.trim();
    if (!purpose || purpose.length > 500) throw badInput('purpose', 'must state the purpose (1 to 500 characters)');
    if (Date.parse(input.expiresAt) <= this.clock().getTime()) throw badInput('expiresAt', 'must be in the future');
    if (input.scope?.district && !(input.scope.district in DISTRICTS)) throw badInput('scope.district', 'not a district code');
    const row = {
      id: `GR-${randomUUID()}`, grantee, categories: [...new Set(input.categories)].sort().join(','), purpose,
      scope_institution_id: input.scope?.institutionId ?? null, scope_district: input.scope?.district ?? null, scope_case_id: input.scope?.caseId ?? null,
      expires_at: input.expiresAt, granted_by: grantedBy, granted_at: this.clock().toISOString(),
    };
    await trx('consent_grants').insert(row);
    return toGrant(row);
  }

  async revoke(id: string, revokedBy: string, trx: Knex.Transaction): Promise<GrantRecord> {
    const row = await trx('consent_grants').where('id', id).first();
    if (!row) throw notFound('grant');
    if (row.revoked_at) throw hubError(ErrorCode.INVALID_TRANSITION, 'the grant is already revoked', { currentStatus: 'REVOKED', attempted: 'REVOKE' });
    const revokedAt = this.clock().toISOString();
    await trx('consent_grants').where('id', id).update({ revoked_at: revokedAt, revoked_by: revokedBy });
    return toGrant({ ...row, revoked_at: revokedAt, revoked_by: revokedBy });
  }

  async list(): Promise<GrantRecord[]> {
    return (await this.knex('consent_grants').orderBy('seq', 'desc').limit(500)).map(toGrant);
  }
}
