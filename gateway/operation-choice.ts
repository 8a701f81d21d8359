/**
 * A request must pick exactly one operation of its document: by name when the document holds several.
 * Apollo Server hands an unresolved choice to the gateway's executor, which fails with an internal error (500);
 * this plugin answers it as the client's mistake (400), naming what was missing.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode, hubRequestError } from '../kit/errors.js';

export function operationChoicePlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation) return;
          throw hubRequestError(ErrorCode.BAD_REQUEST, request.operationName
            // The name asked for is request text, not repeated.
            ? 'The document holds no operation of the name given in operationName.'
            : 'Must provide operation name if query contains multiple operations.');
        },
      };
    },
  };
}
