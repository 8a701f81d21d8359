/**
 * A request must pick exactly one operation of its document: by name when the document holds several. Apollo
 * Server would hand an unresolved choice to the gateway's executor, which fails with an internal error (500); this
 * stage answers it as the client's mistake (400), naming what was missing.
 */
import { badRequest } from '../kit/errors.js';
import type { Stage } from './pipeline.js';

export function operationChoiceStage<TContext>(): Stage<TContext> {
  return {
    name: 'operation choice',
    operation({ operation, params }) {
      if (operation) return;
      throw badRequest(
        typeof params.operationName === 'string' && params.operationName
          ? // The name asked for is request text, not repeated.
            'The document holds no operation of the name given in operationName.'
          : 'Must provide operation name if query contains multiple operations.',
      );
    },
  };
}
