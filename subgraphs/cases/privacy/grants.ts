/**
 * Consent grants: a steward lets a grantee see some categories of party data, for a purpose, a scope and a time.
 * Four eyes: the grantor is never the grantee, and a grant wider than one category of one case is in force only
 * once a second steward, neither its grantor nor its grantee, approves it.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from '../../../kit/store.js';
import { toIso } from '../../../kit/scalars.js';
import { badInput, fourEyesRefused, invalidTransition, notFound } from '../../../kit/errors.js';
import { PII_CATEGORIES, type PiiCategory } from '../../../kit/privacy.js';
import { DISTRICTS } from '../../../kit/reference-data.js';
import { needsSecondSteward, type Grant } from './policy.js';

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
  /** The second steward's approval of a wide grant; a narrow grant is in force from `grantedAt`, with no approver. */
  approvedBy: string | null;
  approvedAt: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
}

type Row = Record<string, any>;

function toGrant(row: Row): GrantRecord {
  return {
    id: row.id,
    grantee: row.grantee,
    categories: String(row.categories).split(',') as PiiCategory[],
    purpose: row.purpose,
    scopeInstitutionId: row.scope_institution_id,
    scopeDistrict: row.scope_district,
    scopeCaseId: row.scope_case_id,
    expiresAt: toIso(row.expires_at)!,
    grantedBy: row.granted_by,
    grantedAt: toIso(row.granted_at)!,
    approvedBy: row.approved_by ?? null,
    approvedAt: toIso(row.approved_at ?? null),
    revokedBy: row.revoked_by,
    revokedAt: toIso(row.revoked_at),
  };
}

export type GrantStatus = 'AWAITING_APPROVAL' | 'IN_FORCE' | 'EXPIRED' | 'REVOKED';

export function grantStatus(grant: GrantRecord, now: Date): GrantStatus {
  if (grant.revokedAt) return 'REVOKED';
  if (grant.expiresAt <= now.toISOString()) return 'EXPIRED';
  return grant.approvedAt ? 'IN_FORCE' : 'AWAITING_APPROVAL';
}

export class GrantStore {
  constructor(
    private readonly knex: Knex,
    private readonly clock: () => Date,
  ) {}

  /**
   * The grantee's grants that are in force now (approved where they need it, not revoked, not expired), oldest
   * first. Read on every request, never cached.
   */
  async activeFor(grantee: string): Promise<GrantRecord[]> {
    const rows = await this.knex('consent_grants')
      .where('grantee', grantee)
      .whereNotNull('approved_at')
      .whereNull('revoked_at')
      .where('expires_at', '>', this.clock().toISOString())
      .orderBy('seq');
    return rows.map(toGrant);
  }

  async create(input: GrantInput, grantedBy: string, trx: Knex.Transaction): Promise<GrantRecord> {
    const grantee = input.grantee?.trim();
    if (!grantee || grantee.length > 128)
      throw badInput('grantee', 'must be the subject of the principal that receives access (1 to 128 characters)');
    if (!input.categories?.length)
      throw badInput('categories', `must name at least one of ${PII_CATEGORIES.join(', ')}`);
    const purpose = input.purpose?.trim();
    if (!purpose || purpose.length > 500) throw badInput('purpose', 'must state the purpose (1 to 500 characters)');
    if (Date.parse(input.expiresAt) <= this.clock().getTime()) throw badInput('expiresAt', 'must be in the future');
    if (input.scope?.district && !(input.scope.district in DISTRICTS))
      throw badInput('scope.district', 'not a district code');
    if (grantee === grantedBy)
      throw fourEyesRefused(
        'grantee: a steward cannot grant access to itself (the one who consents is never the one who consumes)',
      );
    const grantedAt = this.clock().toISOString();
    const categories = [...new Set(input.categories)].sort();
    const scopeCaseId = input.scope?.caseId ?? null;
    const row = {
      id: `GR-${randomUUID()}`,
      grantee,
      categories: categories.join(','),
      purpose,
      scope_institution_id: input.scope?.institutionId ?? null,
      scope_district: input.scope?.district ?? null,
      scope_case_id: scopeCaseId,
      expires_at: input.expiresAt,
      granted_by: grantedBy,
      granted_at: grantedAt,
      approved_at: needsSecondSteward({ categories, scopeCaseId }) ? null : grantedAt,
    };
    await trx('consent_grants').insert(row);
    return toGrant(row);
  }

  /** A second steward puts a wide grant in force: never its grantor, never its grantee. */
  async approve(id: string, approvedBy: string, trx: Knex.Transaction): Promise<GrantRecord> {
    const row = await trx('consent_grants').where('id', id).first();
    if (!row) throw notFound('grant');
    const grant = toGrant(row);
    const status = grantStatus(grant, this.clock());
    if (status === 'IN_FORCE') {
      throw invalidTransition(
        status,
        'APPROVE',
        grant.approvedBy
          ? 'the grant is already approved'
          : 'the grant is for one category of one case: it needs no second steward',
      );
    }
    if (status !== 'AWAITING_APPROVAL')
      throw invalidTransition(status, 'APPROVE', `the grant is ${status === 'REVOKED' ? 'revoked' : 'expired'}`);
    if (approvedBy === grant.grantedBy)
      throw fourEyesRefused(
        'approveDataGrant: a grant is approved by a second steward, not by the steward who gave it',
      );
    if (approvedBy === grant.grantee)
      throw fourEyesRefused('approveDataGrant: a steward cannot approve a grant to itself');
    const approvedAt = this.clock().toISOString();
    // Only a grant still awaiting approval is approved: two stewards approving at once, or a revocation landing
    // first, leave it as the first of them left it.
    const changed = await trx('consent_grants')
      .where('id', id)
      .whereNull('approved_at')
      .whereNull('revoked_at')
      .update({ approved_at: approvedAt, approved_by: approvedBy });
    if (changed !== 1)
      throw invalidTransition('AWAITING_APPROVAL', 'APPROVE', 'the grant changed meanwhile: read it again');
    return { ...grant, approvedAt, approvedBy };
  }

  async revoke(id: string, revokedBy: string, trx: Knex.Transaction): Promise<GrantRecord> {
    const row = await trx('consent_grants').where('id', id).first();
    if (!row) throw notFound('grant');
    if (row.revoked_at) throw invalidTransition('REVOKED', 'REVOKE', 'the grant is already revoked');
    const revokedAt = this.clock().toISOString();
    await trx('consent_grants').where('id', id).update({ revoked_at: revokedAt, revoked_by: revokedBy });
    return toGrant({ ...row, revoked_at: revokedAt, revoked_by: revokedBy });
  }

  async list(): Promise<GrantRecord[]> {
    return (await this.knex('consent_grants').orderBy('seq', 'desc').limit(500)).map(toGrant);
  }
}
