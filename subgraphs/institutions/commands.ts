/**
 * Every change to the registry, each in one transaction that first locks the institution row it depends on,
 * so dispatch permits, status changes and complaints on one institution are serialized.
 */
import { selectForUpdate, type Knex } from '../../kit/store.js';
import { badInput, notFound } from '../../kit/errors.js';
import type { Principal } from '../../kit/principal.js';
import { authorizeDispatch, requireTakesNewCases } from './policy.js';
import { toInstitution, type InstitutionRecord } from './store.js';

export interface DispatchPermit {
  institutionId: string;
  supervisingUnitId: string;
  grantedAt: string;
}

export class RegistryCommands {
  constructor(private readonly knex: Knex, private readonly clock: () => Date = () => new Date()) {}

  /** The institution, locked until the transaction ends; NOT_FOUND when there is none. */
  private async lock(trx: Knex.Transaction, id: string): Promise<InstitutionRecord> {
    const row = await selectForUpdate(trx, 'institutions', { id });
    if (!row) throw notFound(`institution ${id}`);
    return toInstitution(row);
  }

  /**
   * The cases subgraph asks before it dispatches a case: the caller must be the target's supervising unit and the
   * target must be active at this moment. The row lock orders the permit against any status change.
   */
  reserveDispatch(principal: Principal, institutionId: string, caseId: string): Promise<DispatchPermit> {
    if (!institutionId || institutionId.length > 32) throw badInput('institutionId', 'must be an institution id (1 to 32 characters)');
    if (!caseId || caseId.length > 32) throw badInput('caseId', 'must be a case id (1 to 32 characters)');
    return this.knex.transaction(async (trx) => {
      const institution = await this.lock(trx, institutionId);
      authorizeDispatch(principal, institution);
      requireTakesNewCases(institution);
      const grantedAt = this.clock().toISOString();
      await trx('dispatch_permits').insert({
        institution_id: institution.id, case_id: caseId, supervisor: principal.sub, supervising_unit_id: institution.supervisingUnitId, granted_at: grantedAt,
      });
      return { institutionId: institution.id, supervisingUnitId: institution.supervisingUnitId!, grantedAt };
    });
  }
}
