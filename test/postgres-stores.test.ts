import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { createDatabases, postgresReachable, POSTGRES_URL } from './support/postgres.js';

// PostgreSQL runs on the developers' machines and in CI; on a machine without it this suite says so and is
// skipped, except in CI, where a missing server is a failure.
const reachable = await postgresReachable();
if (!reachable && process.env.CI) throw new Error(`PostgreSQL is not reachable at ${POSTGRES_URL}, and CI needs it`);
if (!reachable) console.warn(`skipping the PostgreSQL suite: nothing answers at ${POSTGRES_URL}`);

describe.skipIf(!reachable)('the federation on PostgreSQL stores', () => {
  let hub: Hub;
  let databases: Awaited<ReturnType<typeof createDatabases>>;
  beforeAll(async () => {
    databases = await createDatabases(['cases', 'institutions', 'referrals']);
    hub = await startHub({ cases: 250, databaseUrls: databases.urls });
  });
  afterAll(async () => {
    await hub?.close();
    await databases?.drop();
  });

  it('serves the cross-subgraph join from three PostgreSQL databases', async () => {
    const data = dataOf(
      await hub.query(
        `{ cases(first: 250) { totalCount edges { node { id submittedAt institution { name } referrals { target { kind } } } } } }`,
      ),
    );
    expect(data.cases.totalCount).toBe(250);
    expect(data.cases.edges[0].node.submittedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(data.cases.edges.some((e: any) => e.node.referrals.length > 0)).toBe(true);
  });

  it('pages and batches the same way as on sqlite', async () => {
    const first = dataOf(
      await hub.query(
        `{ institutions(first: 500) { edges { node { id cases(first: 2) { totalCount edges { node { id } } } } } } }`,
      ),
    );
    expect(first.institutions.edges.length).toBe(60);
    const page = dataOf(await hub.query(`{ cases(first: 100) { pageInfo { endCursor } } }`));
    const next = dataOf(
      await hub.query(
        `query($a: String) { cases(first: 200, after: $a) { pageInfo { hasNextPage } edges { node { id } } } }`,
        { a: page.cases.pageInfo.endCursor },
      ),
    );
    expect(next.cases.edges).toHaveLength(150);
    expect(next.cases.pageInfo.hasNextPage).toBe(false);
    expect(codesOf(await hub.query(`{ cases(after: "bogus") { totalCount } }`))).toEqual(['BAD_USER_INPUT']);
  });

  it('keeps the serial keys past the seeded rows', async () => {
    const [{ next }] = (await hub.knex.cases.raw(`select nextval(pg_get_serial_sequence('cases', 'seq')) as next`))
      .rows;
    expect(Number(next)).toBeGreaterThan(250);
  });
});
