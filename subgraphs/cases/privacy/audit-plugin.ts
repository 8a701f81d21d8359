/**
 * Closes each request's privacy ledger: writes the audit records it owes (clear reads, withheld values, refused
 * searches) before the response leaves, and adds `extensions.redaction`. Fails closed: when the audit records cannot
 * be written, the response carries no data at all, so no clear value goes out unaudited.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '../../../kit/errors.js';
import { DOCUMENT_HASH_HEADER, OPERATION_NAME_HEADER } from '../../../kit/privacy.js';
import type { CasesContext } from '../resolvers.js';

const plainHeader = (value: string | undefined, pattern: RegExp) => (value && pattern.test(value) ? value : null);

export function auditPlugin(): ApolloServerPlugin<CasesContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response, request, operationName, queryHash }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const headers = request.http?.headers;
          const operation = plainHeader(headers?.get(OPERATION_NAME_HEADER), /^[_A-Za-z][_0-9A-Za-z]{0,127}$/) ?? operationName ?? null;
          const documentHash = plainHeader(headers?.get(DOCUMENT_HASH_HEADER), /^[0-9a-f]{64}$/) ?? queryHash ?? null;
          try {
            await contextValue.audit.append(contextValue.privacy.entries(contextValue.requestId, operation, documentHash));
          } catch (error) {
            contextValue.logger.error({ err: { name: (error as Error).name, code: (error as { code?: string }).code } }, 'audit log write failed: response withheld');
            response.body.singleResult = {
              errors: [{ message: 'the audit log could not be written, so no party data is returned', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }],
            };
            return;
          }
          const redaction = contextValue.privacy.redaction();
          if (redaction) result.extensions = { ...result.extensions, redaction };
        },
      };
    },
  };
}
