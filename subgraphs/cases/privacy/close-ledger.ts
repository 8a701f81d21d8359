/**
 * Closes each request's privacy ledger: writes the audit records it owes (clear reads, withheld values, refused
 * searches) before the response leaves, and adds `extensions.redaction`. Fails closed: when the audit records cannot
 * be written, the response carries no data at all, so no clear value goes out unaudited. Runs as the subgraph's
 * `finish` step, on every request path.
 */
import { internalError } from '../../../kit/errors.js';
import type { FinishedRequest } from '../../../kit/apollo-subgraph.js';
import type { ExecutionResultLike } from '../../../kit/graphql-response.js';
import { DOCUMENT_HASH_HEADER, OPERATION_NAME_HEADER } from '../../../kit/privacy.js';
import type { CasesContext } from '../resolvers.js';

const plainHeader = (value: string | undefined, pattern: RegExp) => (value && pattern.test(value) ? value : null);

export async function closePrivacyLedger(
  context: CasesContext,
  result: ExecutionResultLike,
  request: FinishedRequest,
): Promise<void> {
  // The gateway names the client's operation and document; a direct caller's own are used otherwise.
  const operation =
    plainHeader(request.header(OPERATION_NAME_HEADER), /^[_A-Za-z][_0-9A-Za-z]{0,127}$/) ?? request.operationName;
  const documentHash = plainHeader(request.header(DOCUMENT_HASH_HEADER), /^[0-9a-f]{64}$/) ?? request.queryHash;
  try {
    await context.audit.append(context.privacy.entries(context.requestId, operation, documentHash));
  } catch (error) {
    context.logger.error(
      { err: { name: (error as Error).name, code: (error as { code?: string }).code } },
      'audit log write failed: response withheld',
    );
    result.data = null;
    result.errors = [internalError('the audit log could not be written, so no party data is returned')];
    delete result.extensions;
    return;
  }
  const redaction = context.privacy.redaction();
  if (redaction) result.extensions = { ...result.extensions, redaction };
}
