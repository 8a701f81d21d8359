/**
 * Write then watch: an intake desk adds cases one at a time to a small cell and watches its published count. With
 * small-cell suppression the count appeared exactly at the threshold, which told the hidden count. With the cell-key
 * method every write changes the set, hence its noise: the count's first appearance does not tell the hidden count,
 * and several hidden counts remain consistent with everything the desk saw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { MUTATIONS, validSubmission } from './support/cases.js';
import { Random } from '../seed/random.js';
import { finishCaseSeeding, writeCaseBatch, type CaseSeed } from '../subgraphs/cases/seed-writer.js';
import { profileNamed } from '../subgraphs/cases/deadlines/deadlines.js';
import type { PerturbationTable } from '../subgraphs/cases/statistics/perturbation-table.js';

const NOW = new Date('2026-06-10T02:00:00Z');
const THRESHOLD = 5;
const WRITES = 6;
const table = JSON.parse(
  fs.readFileSync(new URL('../subgraphs/cases/statistics/perturbation-table.json', import.meta.url), 'utf8'),
) as PerturbationTable;
const keys = new Random(4711);
let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 0, clock: () => NOW, recordKeys: () => keys.int(0, 2 ** 31 - 1) });
});
afterAll(async () => {
  await hub?.close();
});

/** `hidden` cases of one cell (district, category, unassigned, submitted this month) that the desk wants to count. */
async function hiddenCell(district: string, hidden: number, firstSeq: number) {
  const cases: CaseSeed[] = Array.from({ length: hidden }, (_, i) => ({
    seq: firstSeq + i,
    id: `310000-2025-${String(firstSeq + i).padStart(7, '0')}`,
    status: 'SUBMITTED',
    category: 'NEIGHBOURS',
    channel: 'ONLINE',
    district,
    externalRef: null,
    submittedAt: '2026-06-02T03:00:00.000Z',
    dispatchedAt: null,
    acceptedAt: null,
    closedAt: null,
    occurredAt: null,
    place: null,
    claims: '邻里纠纷',
    description: null,
    agreementSubject: null,
    remedies: null,
    rejectionReason: null,
    institutionId: null,
    supervisingUnitId: null,
    respondentContactedAt: null,
    respondentWilling: null,
    version: 1,
    recordKey: keys.int(0, 2 ** 31 - 1),
    parties: [],
    events: [
      {
        at: '2026-06-02T03:00:00.000Z',
        action: 'SUBMIT',
        actor: 'window-desk',
        actorRole: 'intake',
        fromStatus: null,
        toStatus: 'SUBMITTED',
        reason: null,
      },
    ],
  }));
  await writeCaseBatch(hub.knex.cases, cases, profileNamed('shanghai'));
}

const published = async (district: string) =>
  dataOf(
    await hub.query(
      `query($d: String!) { caseStats(filter: { district: $d, category: NEIGHBOURS, from: "2026-06", to: "2026-06" }) { received } }`,
      { d: district },
      { role: 'intake', sub: 'attacking-desk' },
    ),
  ).caseStats[0].received as number;

/** The hidden counts under which the table could have published every observation (the table is public). */
function consistentCounts(observed: number[]): number[] {
  const possible = (count: number, seen: number) =>
    count === 0
      ? seen === 0
      : table.rows[Math.min(count, table.rows.length - 1)]!.noise.some((e) => count + e.noise === seen);
  return Array.from({ length: 12 }, (_, n) => n).filter((n) => observed.every((seen, k) => possible(n + k, seen)));
}

describe('write then watch', () => {
  it('no longer tells the hidden count of a cell', async () => {
    const cells = [
      ['310104', 1],
      ['310101', 2],
      ['310106', 3],
      ['310115', 4],
    ] as const;
    let seq = 1;
    for (const [district, hidden] of cells) {
      await hiddenCell(district, hidden, seq);
      seq += hidden;
    }
    await finishCaseSeeding(hub.knex.cases);
    let toldByFirstAppearance = 0;
    for (const [district, hidden] of cells) {
      const observed = [await published(district)];
      for (let k = 1; k <= WRITES; k++) {
        dataOf(
          await hub.query(
            MUTATIONS.submit,
            { input: validSubmission({ district, category: 'NEIGHBOURS' }) },
            { role: 'intake', sub: 'attacking-desk' },
          ),
        );
        observed.push(await published(district));
      }
      // Every observation within the bounds, none from 1 to 4.
      observed.forEach((seen, k) => {
        expect(seen === 0 || seen >= THRESHOLD).toBe(true);
        expect(Math.abs(seen - (hidden + k))).toBeLessThanOrEqual(3);
      });
      // The old reading: the count appears after `threshold - hidden` writes.
      const firstAppearance = observed.findIndex((seen) => seen > 0);
      if (THRESHOLD - firstAppearance === hidden) toldByFirstAppearance++;
      const candidates = consistentCounts(observed);
      expect(candidates).toContain(hidden);
      expect([district, candidates.length > 1]).toEqual([district, true]);
    }
    expect(toldByFirstAppearance).toBeLessThan(cells.length);
  });
});
