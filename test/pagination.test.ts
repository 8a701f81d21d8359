import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 130 });
});
afterAll(async () => {
  await hub?.close();
});

const PAGE = `query($first: Int, $after: String, $filter: CaseFilter) {
  cases(first: $first, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } }
}`;

describe('Relay connections', () => {
  it('walks every page once: no case twice, none missed, totalCount right', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const { cases } = dataOf(await hub.query(PAGE, { first: 50, after }));
      expect(cases.totalCount).toBe(130);
      seen.push(...cases.edges.map((e: any) => e.node.id));
      pages++;
      if (!cases.pageInfo.hasNextPage) {
        expect(cases.edges.length).toBe(30);
        expect(cases.pageInfo.endCursor).toBe(cases.edges.at(-1).cursor);
        break;
      }
      after = cases.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(130);
    const rows = await hub.knex.cases('cases').orderBy('seq', 'desc').pluck('id');
    expect(seen).toEqual(rows);
  });

  it('defaults to 20 and answers an empty list with no next page and no end cursor', async () => {
    const all = dataOf(await hub.query(PAGE, {}));
    expect(all.cases.edges).toHaveLength(20);
    const empty = dataOf(await hub.query(PAGE, { filter: { submittedFrom: '2030-01-01T00:00:00Z' } }));
    expect(empty.cases).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });

  it('says there is no next page when the last page is exactly full', async () => {
    const first = dataOf(await hub.query(PAGE, { first: 65 }));
    const second = dataOf(await hub.query(PAGE, { first: 65, after: first.cases.pageInfo.endCursor }));
    expect(second.cases.edges).toHaveLength(65);
    expect(second.cases.pageInfo.hasNextPage).toBe(false);
  });

  it('refuses a malformed, tampered or foreign cursor with BAD_USER_INPUT naming `after`', async () => {
    const { cases } = dataOf(await hub.query(PAGE, { first: 1 }));
    const cursor: string = cases.pageInfo.endCursor;
    const tampered = cursor.slice(0, -2) + (cursor.endsWith('AA') ? 'BB' : 'AA');
    const { institutions } = dataOf(await hub.query(`{ institutions(first: 1) { pageInfo { endCursor } } }`));
    for (const bad of [
      'not-a-cursor',
      '',
      tampered,
      institutions.pageInfo.endCursor,
      Buffer.from('seq:10').toString('base64'),
    ]) {
      const result = await hub.query(PAGE, { after: bad });
      expect(codesOf(result), `cursor ${bad}`).toEqual(['BAD_USER_INPUT']);
      expect(result.body.errors![0]!.message).toMatch(/^after: /);
    }
  });

  it('refuses a page size outside 0..500', async () => {
    for (const first of [-1, 501]) {
      const result = await hub.query(PAGE, { first });
      expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.body.errors![0]!.message).toMatch(/^first: must be between 0 and 500/);
    }
  });

  it('gives cursors that reveal nothing: no case number, key or date inside', async () => {
    const { cases } = dataOf(await hub.query(PAGE, { first: 5 }));
    for (const edge of cases.edges) {
      const decoded = Buffer.from(edge.cursor, 'base64url').toString('latin1');
      expect(decoded).not.toContain(edge.node.id);
      expect(decoded).not.toContain(edge.node.id.split('-')[2]);
      // Ciphertext is random bytes and holds a few digits by chance; seven in a row, or a date, would be plaintext.
      expect(decoded).not.toMatch(/\d{4}-\d{2}-\d{2}|\d{7}/);
    }
  });
});
