/**
 * The stewards' consent steps, each written in one transaction with its audit record: a grant (REQUESTED while it
 * awaits a second steward, GRANTED when in force at once), an approval (APPROVED), a revocation (REVOKED, at once,
 * by any steward). A refused step (the four-eyes rule, or a caller who is no steward) is audited as DENIED in a
 * transaction of its own, since the step's own rolls back.
 */
import type { GraphQLError } from 'graphql';
import type { Knex } from '../../../kit/store.js';
import { ErrorCode } from '../../../kit/errors.js';
import { requireRole, type Principal } from '../../../kit/principal.js';
import type { AuditDecision, AuditLog } from './audit-log.js';
import type { GrantInput, GrantRecord, GrantStore } from './grants.js';

export interface StewardCall {
  principal: Principal;
  requestId: string;
}

interface Step {
  grant: GrantRecord;
  decision: AuditDecision;
  detail: string;
}

const scopeCases = (grant: Pick<GrantRecord, 'scopeCaseId'>) => (grant.scopeCaseId ? [grant.scopeCaseId] : []);

export class ConsentDesk {
  constructor(
    private readonly knex: Knex,
    private readonly grants: GrantStore,
    private readonly audit: AuditLog,
  ) {}

  grant(call: StewardCall, input: GrantInput): Promise<GrantRecord> {
    return this.step(call, 'grantDataAccess', input.categories ?? [], async (trx) => {
      const grant = await this.grants.create(input, call.principal.sub, trx);
      const inForce = grant.approvedAt !== null;
      return {
        grant,
        decision: inForce ? 'GRANTED' : 'REQUESTED',
        detail: `${grant.id} to ${grant.grantee}${inForce ? '' : ', awaiting a second steward'}`,
      };
    });
  }

  approve(call: StewardCall, id: string): Promise<GrantRecord> {
    return this.step(call, 'approveDataGrant', [], async (trx) => {
      const grant = await this.grants.approve(id, call.principal.sub, trx);
      return { grant, decision: 'APPROVED', detail: `${grant.id} to ${grant.grantee}, given by ${grant.grantedBy}` };
    });
  }

  revoke(call: StewardCall, id: string): Promise<GrantRecord> {
    return this.step(call, 'revokeDataAccess', [], async (trx) => {
      const grant = await this.grants.revoke(id, call.principal.sub, trx);
      return { grant, decision: 'REVOKED', detail: `${grant.id} of ${grant.grantee}` };
    });
  }

  /** `asked`: the categories the step names, for the record of a refusal (never the caller's other input). */
  private async step(
    call: StewardCall,
    operation: string,
    asked: string[],
    run: (trx: Knex.Transaction) => Promise<Step>,
  ): Promise<GrantRecord> {
    const base = { requestId: call.requestId, principal: call.principal, operation, documentHash: null };
    try {
      requireRole(call.principal, ['steward'], operation);
      return await this.knex.transaction(async (trx) => {
        const { grant, decision, detail } = await run(trx);
        await this.audit.append(
          [{ ...base, decision, categories: grant.categories, caseIds: scopeCases(grant), detail }],
          trx,
        );
        return grant;
      });
    } catch (error) {
      const { code, rule } = (error as GraphQLError).extensions ?? {};
      if (code === ErrorCode.FORBIDDEN) {
        await this.audit.append([
          {
            ...base,
            decision: 'DENIED',
            categories: asked,
            caseIds: [],
            detail: `${operation} refused: ${rule === 'FOUR_EYES' ? 'four eyes' : 'not a steward'}`,
          },
        ]);
      }
      throw error;
    }
  }
}
