/**
 * The cell-key method's record-key sums are kept with the counts: the cube's key sums (and the running-limits rows'
 * keys) equal a recount from the cases table after random mutations, legal and illegal, and after the migration gave
 * existing cases their keys; on sqlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from './support/hub.js';
import { createDatabases, postgresReachable } from './support/postgres.js';
import { randomMutation, recount, stored } from './support/cube.js';
import { Random } from '../seed/random.js';
import { KEY_SUM_COLUMNS } from '../subgraphs/cases/statistics/cells.js';
import { assignRecordKeys } from '../subgraphs/cases/migrations/0010_record_keys.js';

const NOW = new Date('2026-06-01T02:00:00Z');
const reachable = await postgresReachable();

for (const store of ['sqlite', 'postgres'] as const)
  describe.skipIf(store === 'postgres' && !reachable)(`record-key sums (${store})`, () => {
    let hub: Hub;
    let databases: Awaited<ReturnType<typeof createDatabases>> | undefined;
    beforeAll(async () => {
      if (store === 'postgres') databases = await createDatabases(['cases', 'institutions', 'referrals']);
      hub = await startHub({ cases: 300, clock: () => NOW, databaseUrls: databases?.urls });
    });
    afterAll(async () => {
      await hub?.close();
      await databases?.drop();
    });

    const keySums = async () => {
      const [row] = await hub.knex.cases('case_stats_cells').sum({ n: 'key_n', accepted: 'key_accepted' });
      return { n: Number(row?.n), accepted: Number(row?.accepted) };
    };

    it('equal a recount after random mutations through the gateway', async () => {
      const before = await keySums();
      expect(before.n).toBeGreaterThan(0);
      const rng = new Random(store === 'sqlite' ? 2201 : 2202);
      let applied = 0;
      for (let i = 0; i < 80; i++) if (await randomMutation(hub, rng)) applied++;
      expect(applied).toBeGreaterThan(20);
      expect(await keySums()).not.toEqual(before);
      expect(await stored(hub)).toEqual(await recount(hub));
    });

    it('are made for existing cases by the migration, from keys it draws', async () => {
      // A store as it stood before the migration: the new columns at their defaults.
      await hub.knex.cases('cases').update({ record_key: 0 });
      await hub.knex.cases('case_stats_running').update({ record_key: 0 });
      await hub.knex.cases('case_stats_cells').update(Object.fromEntries(KEY_SUM_COLUMNS.map((c) => [c, 0])));
      await hub.knex.cases.transaction((trx) => assignRecordKeys(trx));
      const keys = (await hub.knex.cases('cases').select('record_key')).map((r) => Number(r.record_key));
      // Drawn uniformly from [0, 2^31): nearly all distinct.
      expect(new Set(keys).size).toBeGreaterThan(keys.length / 2);
      expect(keys.every((k) => k >= 0 && k < 2 ** 31)).toBe(true);
      expect(await stored(hub)).toEqual(await recount(hub));
    });
  });
