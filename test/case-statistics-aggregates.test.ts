import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from './support/hub.js';
import { MUTATIONS } from './support/cases.js';
import { randomMutation, recount, stored } from './support/cube.js';
import { Random } from '../seed/random.js';
import { toCase } from '../subgraphs/cases/store.js';
import { contributionOf, CubeDelta, parseClosureDays } from '../subgraphs/cases/statistics/cells.js';

let hub: Hub;
const NOW = new Date('2026-06-01T02:00:00Z');
beforeAll(async () => {
  hub = await startHub({ cases: 400, clock: () => NOW });
});
afterAll(async () => {
  await hub?.close();
});

describe('the statistics cube', () => {
  it('equals a recount from the raw rows right after seeding', async () => {
    const counted = await recount(hub);
    expect(counted.cells.length).toBeGreaterThan(50);
    expect(counted.running.length).toBeGreaterThan(5);
    expect(await stored(hub)).toEqual(counted);
  });

  it('equals a recount from the raw rows after a random sequence of mutations, legal and illegal', async () => {
    const rng = new Random(4242);
    let applied = 0;
    for (let i = 0; i < 150; i++) if (await randomMutation(hub, rng)) applied++;
    // Concurrent moves on the same cases too: the losers roll back, cube changes included.
    const open = await hub.knex.cases('cases').where('status', 'ACCEPTED').limit(5);
    await Promise.all(
      open.flatMap((row) =>
        [1, 2, 3].map(() =>
          hub.query(
            MUTATIONS.close,
            { id: row.id, outcome: 'UNRESOLVED', remedies: '可申请仲裁', v: row.version },
            { role: 'institution', org: row.institution_id },
          ),
        ),
      ),
    );
    expect(applied).toBeGreaterThan(40);
    expect(await stored(hub)).toEqual(await recount(hub));
  });

  it("takes a closed mediation out of its atom's histogram exactly, should a change ever reopen one", async () => {
    const resolved = toCase(await hub.knex.cases('cases').where('status', 'RESOLVED').first());
    const contribution = contributionOf(resolved);
    const histogram = async () =>
      parseClosureDays((await hub.knex.cases('case_stats_cells').where(contribution.key).first()).closure_days);
    const before = await histogram();
    await hub.knex.cases.transaction((trx) => new CubeDelta().add(contribution, -1).apply(trx));
    const after = await histogram();
    expect(after.get(contribution.closureDays!) ?? 0).toBe(before.get(contribution.closureDays!)! - 1);
    await hub.knex.cases.transaction((trx) => new CubeDelta().add(contribution, 1).apply(trx));
    expect(await stored(hub)).toEqual(await recount(hub));
  });

  it("counts every case once: the cube's total and per-status sums equal counts of the cases table", async () => {
    const cube = await hub.knex.cases('case_stats_cells').select('status').sum({ n: 'n' }).groupBy('status');
    const cases = await hub.knex.cases('cases').select('status').count({ n: '*' }).groupBy('status');
    const asMap = (rows: { status: string; n: unknown }[]) =>
      Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]).filter(([, n]) => n !== 0));
    expect(asMap(cube as any)).toEqual(asMap(cases as any));
  });
});
