/**
 * Persisted documents, as a request stage of the pipeline: the query text filled in from a hash before the
 * document is read, on both request paths.
 * - Automatic persisted queries (Apollo's protocol): `extensions.persistedQuery { version: 1, sha256Hash }` without
 *   the text answers PERSISTED_QUERY_NOT_FOUND until the client sends the text with its hash once; texts are kept
 *   bounded in bytes.
 * - Trusted documents (`JIEFEN_TRUSTED_DOCUMENTS`, a manifest file): only registered operations are served, asked
 *   by id (`extensions.persistedQuery.sha256Hash`, or `documentId`) or by a text that is registered; nothing is
 *   learnt from requests. The manifest is what Apollo's, Hive's and Relay's clients emit: Apollo's
 *   `{ "format": "apollo-persisted-query-manifest", "operations": [{ "id", "body" }] }`, or an object of id → text.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { LRUCache } from 'lru-cache';
import { ConfigError } from '../kit/config.js';
import { badRequest, persistedQueryNotFound, trustedDocumentRequired } from '../kit/errors.js';
import type { GraphQLParams } from '../kit/http.js';
import type { Stage } from './pipeline.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A manifest's documents by id, each also by the SHA-256 of its text. */
export function readTrustedDocuments(file: string): Map<string, string> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new ConfigError('JIEFEN_TRUSTED_DOCUMENTS must name a readable JSON manifest of persisted documents');
  }
  const documents = new Map<string, string>();
  const add = (id: unknown, body: unknown, where: string) => {
    if (typeof id !== 'string' || typeof body !== 'string' || !id || !body)
      throw new ConfigError(`JIEFEN_TRUSTED_DOCUMENTS: ${where} needs a string id and body`);
    documents.set(id, body);
    documents.set(sha256(body), body);
  };
  const operations = (manifest as { operations?: unknown })?.operations;
  if (Array.isArray(operations))
    operations.forEach((op: { id?: unknown; body?: unknown }, i) => add(op?.id, op?.body, `operations[${i}]`));
  else if (manifest && typeof manifest === 'object' && !Array.isArray(manifest))
    for (const [id, body] of Object.entries(manifest)) add(id, body, 'an entry');
  else
    throw new ConfigError(
      'JIEFEN_TRUSTED_DOCUMENTS must hold an Apollo persisted-query manifest or an object of id to document',
    );
  if (documents.size === 0) throw new ConfigError('JIEFEN_TRUSTED_DOCUMENTS holds no document');
  return documents;
}

/** The persisted-query extension of a request, or why it is unusable. */
function persistedQuery(params: GraphQLParams): { hash: string } | null {
  const extension = params.extensions?.persistedQuery as { version?: unknown; sha256Hash?: unknown } | undefined;
  if (extension === undefined) return null;
  if (extension === null || typeof extension !== 'object' || extension.version !== 1)
    throw badRequest('extensions.persistedQuery: only version 1 is supported');
  if (typeof extension.sha256Hash !== 'string' || !/^[0-9a-f]{64}$/.test(extension.sha256Hash))
    throw badRequest('extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits');
  return { hash: extension.sha256Hash };
}

/** The parameters without the persisted-document fields, once the text is known. */
function resolved(params: GraphQLParams, query: string): void {
  params.query = query;
  delete params.documentId;
  if (params.extensions?.persistedQuery !== undefined) {
    const { persistedQuery: _used, ...rest } = params.extensions;
    params.extensions = Object.keys(rest).length ? rest : undefined;
  }
}

export function persistedDocumentsStage<TContext>(
  trusted: Map<string, string> | undefined,
  maxBytes = 16 * 1024 * 1024,
): Stage<TContext> {
  const automatic = new LRUCache<string, string>({
    maxSize: maxBytes,
    sizeCalculation: (text) => 128 + text.length * 2,
  });
  return {
    name: 'persisted documents',
    request({ params }) {
      const extension = persistedQuery(params);
      const id = params.documentId !== undefined ? params.documentId : extension?.hash;
      if (id !== undefined && typeof id !== 'string') throw badRequest('documentId must be a string');
      if (trusted) {
        const text =
          id !== undefined
            ? trusted.get(id)
            : typeof params.query === 'string'
              ? trusted.get(sha256(params.query))
              : undefined;
        if (text === undefined)
          throw trustedDocumentRequired(
            id !== undefined
              ? 'no registered document has this id'
              : 'only registered documents are served here: send a registered document id',
          );
        if (typeof params.query === 'string' && params.query !== text)
          throw trustedDocumentRequired('the query text is not the registered document of this id');
        return resolved(params, text);
      }
      if (params.documentId !== undefined)
        throw badRequest('documentId is served only with trusted documents: send the query text');
      if (!extension) return;
      if (typeof params.query === 'string') {
        if (sha256(params.query) !== extension.hash)
          throw badRequest('extensions.persistedQuery.sha256Hash is not the SHA-256 of the query text');
        automatic.set(extension.hash, params.query);
        return resolved(params, params.query);
      }
      const text = automatic.get(extension.hash);
      if (text === undefined) throw persistedQueryNotFound();
      resolved(params, text);
    },
  };
}
