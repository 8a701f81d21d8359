/**
 * Relay connections: `first` (default 20, at most 500) and `after`, keyset-paginated on a row's integer key.
 * Cursors are sealed with AES-256-GCM: opaque to clients (no value or timestamp to decode) and tamper-proof.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { badInput } from './errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 500;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** A validated request for one page: rows whose key comes after `afterKey`, `limit` of them. */
export interface PageWindow {
  limit: number;
  afterKey: number | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Resolved only when a client selects it: the default resolver calls it. */
  totalCount: () => Promise<number>;
}

export class CursorCodec {
  private readonly key: Buffer;
  constructor(secret: string) {
    this.key = createHash('sha256').update(`jiefen-cursor:${secret}`).digest();
  }

  /** `scope` names the list, so a cursor of one list is refused by another. */
  encode(scope: string, rowKey: number): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(scope));
    const body = Buffer.concat([cipher.update(String(rowKey), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  decode(scope: string, cursor: string): number | null {
    try {
      const raw = Buffer.from(cursor, 'base64url');
      if (raw.length < 29) return null;
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(scope));
      decipher.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      const value = Number(text);
      return Number.isSafeInteger(value) ? value : null;
    } catch {
      return null;
    }
  }

  /** Validates `first` and `after`; errors name the argument. */
  window(scope: string, args: PageArgs): PageWindow {
    const first = args.first ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
      throw badInput('first', `must be between 0 and ${MAX_PAGE_SIZE}, got ${first}`);
    }
    let afterKey: number | null = null;
    if (args.after !== undefined && args.after !== null) {
      afterKey = this.decode(scope, args.after);
      if (afterKey === null)
        throw badInput('after', 'not a cursor of this list (pass an endCursor or edge cursor this list returned)');
    }
    return { limit: first, afterKey };
  }

  /**
   * Builds the connection from rows fetched with `limit + 1` (the extra row only tells that a next page exists).
   */
  connection<Row, Node = Row>(
    scope: string,
    window: PageWindow,
    rows: Row[],
    keyOf: (row: Row) => number,
    totalCount: () => Promise<number>,
    nodeOf: (row: Row) => Node = (row) => row as unknown as Node,
  ): Connection<Node> {
    const page = rows.slice(0, window.limit);
    // Cursors are sealed only when a query selects them: sealing costs a cipher run per edge.
    const sealed = (row: Row) => {
      let cursor: string | undefined;
      return () => (cursor ??= this.encode(scope, keyOf(row)));
    };
    const edges = page.map((row) => {
      const cursor = sealed(row);
      return {
        get cursor() {
          return cursor();
        },
        node: nodeOf(row),
      };
    });
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > window.limit,
        get endCursor() {
          return edges.length ? edges[edges.length - 1]!.cursor : null;
        },
      },
      totalCount,
    };
  }
}
