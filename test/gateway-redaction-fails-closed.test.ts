/**
 * The gateway reads an analyst's consent grants alongside the operation when the operation filters by no party data
 * (gateway/redaction.ts): if that read fails, no category is cleared and every marked value is withheld; a search by
 * party data still waits for the grants, and fails when they cannot be read. The privacy office here is a stand-in for
 * the cases subgraph's grants endpoint, made to answer or fail on demand.
 */
import { describe, expect, it } from 'vitest';
import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { gatewayRedaction, type PrivacyOffice, type RedactionContext } from '../gateway/redaction.js';
import { createLogger } from '../kit/log.js';
import type { PiiCategory } from '../kit/privacy.js';

const schema = buildSchema(`
  input Search { name: String }
  type Party { id: ID! name: String phone: String }
  type Query { parties(search: Search): [Party!]! }
`);
const pii = new Map<string, PiiCategory>([
  ['Party.name', 'NAME'],
  ['Party.phone', 'CONTACT'],
  ['Search.name', 'NAME'],
]);

function office(grants: () => Promise<Set<PiiCategory>>): PrivacyOffice & { refusals: number } {
  return {
    refusals: 0,
    grantedCategories: grants,
    async recordRefusal() {
      this.refusals++;
    },
  };
}

async function run(
  query: string,
  variables: Record<string, unknown>,
  privacy: PrivacyOffice,
  data: Record<string, unknown>,
) {
  const logs: Record<string, unknown>[] = [];
  const context: RedactionContext = {
    principal: { sub: 'analyst-1', role: 'analyst' },
    requestId: 'r1',
    logger: createLogger('gateway', 'info', {
      write: (l: string) => {
        logs.push(JSON.parse(l));
      },
    }),
  };
  const redaction = gatewayRedaction(pii, privacy, true);
  const document = parse(query);
  await redaction.admit(context, {
    schema,
    document,
    operation: document.definitions[0] as OperationDefinitionNode,
    operationName: null,
    variables,
    queryHash: 'h',
  });
  const result: { data: Record<string, unknown>; extensions?: Record<string, unknown> } = { data };
  await redaction.finish(context, result);
  return { result, logs };
}

describe("the gateway's grants read", () => {
  it('withholds every marked value when the grants cannot be read, and says so in the log', async () => {
    const failing = office(async () => {
      throw new Error('cases subgraph unreachable');
    });
    const { result, logs } = await run('{ parties { id name phone } }', {}, failing, {
      parties: [{ id: '1', name: '张三', phone: '13800000000' }],
    });
    expect(result.data).toEqual({ parties: [{ id: '1', name: null, phone: null }] });
    expect(result.extensions).toEqual({ redaction: { withheld: { CONTACT: 1, NAME: 1 } } });
    expect(logs.some((l) => String(l.msg).includes('could not read consent grants'))).toBe(true);
  });

  it('clears what the grants name when they are read alongside the operation', async () => {
    const granting = office(async () => new Set<PiiCategory>(['NAME']));
    const { result } = await run('{ parties { id name phone } }', {}, granting, {
      parties: [{ id: '1', name: '张三', phone: '13800000000' }],
    });
    expect(result.data).toEqual({ parties: [{ id: '1', name: '张三', phone: null }] });
  });

  it('refuses a search by party data when the grants cannot be read, before anything runs', async () => {
    const failing = office(async () => {
      throw new Error('cases subgraph unreachable');
    });
    await expect(
      run('query($s: Search) { parties(search: $s) { id } }', { s: { name: '张三' } }, failing, { parties: [] }),
    ).rejects.toThrow('cases subgraph unreachable');
    const empty = office(async () => new Set<PiiCategory>());
    await expect(
      run('query($s: Search) { parties(search: $s) { id } }', { s: { name: '张三' } }, empty, { parties: [] }),
    ).rejects.toThrow(/needs clearance for NAME/);
    expect(empty.refusals).toBe(1);
  });
});
