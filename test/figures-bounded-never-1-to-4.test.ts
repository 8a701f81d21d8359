/**
 * Perturbed figures are bounded and never small: the checked-in perturbation table has the properties it claims
 * (and is what its script writes), and every count an analyst is given, by any filter and grouping or as a
 * `totalCount`, is 0 or at least 5 and within 3 of the true count; a district's total minus its other institutions
 * misses the small institutions' counts.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { Random } from '../seed/random.js';
import { toCase } from '../subgraphs/cases/store.js';
import { monthOf } from '../subgraphs/cases/statistics/cells.js';
import { designPerturbationTable, type PerturbationTable } from '../subgraphs/cases/statistics/perturbation-table.js';

const checkedIn = JSON.parse(
  fs.readFileSync(new URL('../subgraphs/cases/statistics/perturbation-table.json', import.meta.url), 'utf8'),
) as PerturbationTable;

describe('the perturbation table', () => {
  it('is what `npm run ptable` writes with its documented parameters', () => {
    expect(checkedIn.parameters).toEqual({ maxNoise: 3, variance: 2, threshold: 5 });
    expect(designPerturbationTable({ maxNoise: 3, variance: 2, threshold: 5 })).toEqual(checkedIn);
  });

  it('moves no count by more than 3, to nothing negative or from 1 to 4, with probabilities that sum to 1', () => {
    expect(checkedIn.rows.map((r) => r.count)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const row of checkedIn.rows) {
      for (const { noise } of row.noise) {
        expect(Math.abs(noise)).toBeLessThanOrEqual(3);
        const published = row.count + noise;
        expect(published === 0 || published >= 5).toBe(true);
      }
      expect(row.noise.reduce((s, e) => s + e.p, 0)).toBeCloseTo(1, 8);
      expect(row.noise.at(-1)!.upper).toBe(1);
    }
  });

  it('is unbiased from 6 cases up, with the bias below as documented', () => {
    // Zero stays zero; one case can only be published as 0; four and five can only move up.
    expect(checkedIn.rows.map((r) => Math.round(r.mean * 1000) / 1000)).toEqual([0, -1, 0, 0, 1.309, 1.019, 0, 0, 0]);
    const last = checkedIn.rows.at(-1)!;
    expect(last.noise.map((e) => e.noise)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(last.noise.map((e) => e.p)).toEqual([...last.noise.map((e) => e.p)].reverse());
    expect(last.variance).toBe(2);
  });

  it('is designed the same way for another threshold', () => {
    const table = designPerturbationTable({ maxNoise: 2, variance: 1, threshold: 3 });
    expect(table.rows.length).toBe(6);
    for (const row of table.rows)
      for (const { noise } of row.noise) expect([0, 3, 4, 5, 6, 7]).toContain(row.count + noise);
  });
});

describe("an analyst's figures", () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ cases: 2500, institutions: 50, clock: () => new Date('2026-11-02T00:00:00Z') });
  });
  afterAll(async () => {
    await hub?.close();
  });

  /** The true count of the cases a caseStats filter selects, from the raw rows. */
  async function trueCount(filter: Record<string, string>): Promise<number> {
    const rows = (await hub.knex.cases('cases')).map(toCase);
    return rows.filter(
      (c) =>
        (!filter.district || c.district === filter.district) &&
        (!filter.category || c.category === filter.category) &&
        (!filter.channel || c.channel === filter.channel) &&
        (!filter.institutionId || c.institutionId === filter.institutionId) &&
        (!filter.from || monthOf(c.submittedAt) >= filter.from) &&
        (!filter.to || monthOf(c.submittedAt) <= filter.to),
    ).length;
  }

  const args = (filter: Record<string, string>) =>
    Object.entries(filter)
      .map(([k, v]) => `${k}: ${/^[A-Z_]+$/.test(v) ? v : JSON.stringify(v)}`)
      .join(', ');

  it('are 0 or at least 5, within 3 of the truth, for random filters and groupings', async () => {
    const rng = new Random(2222);
    const districts = (await hub.knex.cases('cases').distinct('district')).map((r: { district: string }) => r.district);
    let checked = 0;
    let differing = 0;
    for (let i = 0; i < 30; i++) {
      const filter: Record<string, string> = {};
      if (rng.chance(0.7)) filter.district = rng.pick(districts);
      if (rng.chance(0.5)) filter.category = rng.pick(['LABOUR', 'NEIGHBOURS', 'CONTRACT', 'MARRIAGE_FAMILY']);
      if (rng.chance(0.4)) filter.channel = rng.pick(['ONLINE', 'WINDOW']);
      if (rng.chance(0.5)) {
        filter.from = rng.pick(['2025-06', '2026-01']);
        filter.to = rng.pick(['2026-03', '2026-10']);
      }
      const [row] = dataOf(
        await hub.query(
          `{ caseStats(filter: { ${args(filter)} }) { received resolved open } }`,
          {},
          { role: 'analyst' },
        ),
      ).caseStats;
      const truth = await trueCount(filter);
      for (const n of [row.received, row.resolved, row.open]) expect(n === 0 || n >= 5).toBe(true);
      expect(Math.abs(row.received - truth)).toBeLessThanOrEqual(3);
      if (truth >= 5) expect(row.received).toBeGreaterThanOrEqual(5);
      if (truth === 0) expect(row.received).toBe(0);
      if (row.received !== truth) differing++;
      const groups = dataOf(
        await hub.query(
          `{ caseStats(filter: { ${args(filter)} }, groupBy: [${rng.pick(['INSTITUTION', 'MONTH', 'STATUS', 'CATEGORY'])}]) { received accepted open withdrawn } }`,
          {},
          { role: 'analyst' },
        ),
      ).caseStats;
      for (const g of groups) {
        // A group published as 0 is no row; a row's other figures follow the same rule.
        expect(g.received).toBeGreaterThanOrEqual(5);
        for (const n of [g.accepted, g.open, g.withdrawn]) expect(n === 0 || n >= 5).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(differing).toBeGreaterThan(3);
  });

  it("make a district total minus every other institution miss small institutions' counts", async () => {
    const filter = 'district: "310104", from: "2026-10", to: "2026-10"';
    const [total] = dataOf(
      await hub.query(`{ caseStats(filter: { ${filter} }) { received } }`, {}, { role: 'analyst' }),
    ).caseStats;
    const rows = dataOf(
      await hub.query(
        `{ caseStats(filter: { ${filter} }, groupBy: [INSTITUTION]) { institution { id } received } }`,
        {},
        { role: 'analyst' },
      ),
    ).caseStats;
    const october = (await hub.knex.cases('cases').where('district', '310104'))
      .map(toCase)
      .filter((c) => monthOf(c.submittedAt) === '2026-10');
    const perInstitution = new Map<string, number>();
    for (const c of october)
      if (c.institutionId) perInstitution.set(c.institutionId, (perInstitution.get(c.institutionId) ?? 0) + 1);
    const small = [...perInstitution].filter(([, n]) => n >= 1 && n <= 4);
    expect(small.length).toBeGreaterThan(1);
    let recoveredExactly = 0;
    for (const [id, n] of small) {
      const others = rows
        .filter((r: any) => r.institution?.id !== id)
        .reduce((sum: number, r: any) => sum + r.received, 0);
      if (total.received - others === n) recoveredExactly++;
    }
    expect(recoveredExactly).toBeLessThan(small.length);
  });
});
