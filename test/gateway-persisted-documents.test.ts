/**
 * Persisted documents on both request paths (a JSON POST takes the lean path, a GET Apollo Server's pipeline):
 * automatic persisted queries learn a text from its hash once; trusted-documents mode serves only the registered
 * operations of a manifest, by id or by their exact text, and nothing else.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrustedDocuments } from '../gateway/persisted-documents.js';
import { DEFAULT_GATEWAY_SETTINGS } from '../gateway/settings.js';
import { ConfigError } from '../kit/config.js';
import { codesOf, dataOf, startHub, type GraphQLResult, type Hub } from './support/hub.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const DISTRICTS = '{ districts { code } }';
const INSTITUTIONS = 'query Few { institutions(first: 2) { totalCount } }';

let hub: Hub;
let trustedUrl: string;
let manifestDir: string;
beforeAll(async () => {
  hub = await startHub({ cases: 20, institutions: 40 });
  manifestDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiefen-manifest-'));
  const manifest = path.join(manifestDir, 'persisted-documents.json');
  fs.writeFileSync(
    manifest,
    JSON.stringify({
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: [{ id: sha256(INSTITUTIONS), name: 'Few', type: 'query', body: INSTITUTIONS }],
    }),
  );
  trustedUrl = await hub.startGateway({
    settings: { ...DEFAULT_GATEWAY_SETTINGS, trustedDocuments: readTrustedDocuments(manifest) },
  });
});
afterAll(async () => {
  await hub?.close();
  fs.rmSync(manifestDir, { recursive: true, force: true });
});

type Params = { query?: string; extensions?: unknown; documentId?: string; operationName?: string };

/** Asks as the admin by POST (lean path) and by GET (full path); both answers. */
async function both(url: string, params: Params): Promise<GraphQLResult[]> {
  const authorization = `Bearer ${await hub.token('admin')}`;
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    search.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  const response = await fetch(`${url}?${search}`, { headers: { authorization, 'apollo-require-preflight': 'true' } });
  const got = { status: response.status, headers: response.headers, body: await response.json() };
  return [await hub.post(url, params, { authorization }), got];
}

const persisted = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });

describe('automatic persisted queries', () => {
  it('answer PERSISTED_QUERY_NOT_FOUND for an unknown hash, then serve it by hash once its text was sent', async () => {
    const query = '{ districts { code name } }';
    for (const result of await both(hub.urls.gateway, { extensions: persisted(query) })) {
      expect(codesOf(result)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect(result.body.errors![0]!.message).toBe('PersistedQueryNotFound');
    }
    const [registered] = await both(hub.urls.gateway, { query, extensions: persisted(query) });
    expect(dataOf(registered!).districts.length).toBeGreaterThan(0);
    for (const result of await both(hub.urls.gateway, { extensions: persisted(query) }))
      expect(dataOf(result)).toEqual(dataOf(registered!));
  });

  it("refuse a hash that is not the text's, and a version they do not know", async () => {
    for (const result of await both(hub.urls.gateway, { query: DISTRICTS, extensions: persisted('{ other }') }))
      expect(codesOf(result)).toEqual(['BAD_REQUEST']);
    for (const result of await both(hub.urls.gateway, {
      query: DISTRICTS,
      extensions: { persistedQuery: { version: 2, sha256Hash: sha256(DISTRICTS) } },
    }))
      expect(codesOf(result)).toEqual(['BAD_REQUEST']);
  });
});

describe('trusted documents', () => {
  it('serve a registered operation by its hash, by documentId and by its exact text', async () => {
    const expected = dataOf(await hub.query(INSTITUTIONS));
    for (const params of [
      { extensions: persisted(INSTITUTIONS) },
      { documentId: sha256(INSTITUTIONS) },
      { query: INSTITUTIONS },
    ]) {
      for (const result of await both(trustedUrl, params)) expect(dataOf(result)).toEqual(expected);
    }
  });

  it('refuse any other text, id or hash, and learn nothing from requests', async () => {
    for (const params of [
      { query: DISTRICTS },
      { documentId: 'not-registered' },
      { query: DISTRICTS, extensions: persisted(DISTRICTS) },
      { extensions: persisted(DISTRICTS) },
    ]) {
      for (const result of await both(trustedUrl, params)) {
        expect(result.status).toBe(400);
        expect(codesOf(result)).toEqual(['TRUSTED_DOCUMENT_REQUIRED']);
      }
    }
  });

  it("read manifests of Apollo's format and of id → text, and name what is wrong with a bad one", () => {
    const file = path.join(manifestDir, 'relay.json');
    fs.writeFileSync(file, JSON.stringify({ abc123: DISTRICTS }));
    const documents = readTrustedDocuments(file);
    expect(documents.get('abc123')).toBe(DISTRICTS);
    expect(documents.get(sha256(DISTRICTS))).toBe(DISTRICTS);
    fs.writeFileSync(file, JSON.stringify({ operations: [{ id: 'x' }] }));
    expect(() => readTrustedDocuments(file)).toThrow(ConfigError);
    expect(() => readTrustedDocuments(path.join(manifestDir, 'missing.json'))).toThrow(/JIEFEN_TRUSTED_DOCUMENTS/);
  });
});
