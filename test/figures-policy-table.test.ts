/**
 * The figures policy (FIGURE_ACCESS in kit/figure-access.ts, mirrored in the README): the operator gets exact figures
 * city-wide, an institution or supervising unit exact figures of its own cases and perturbed ones of the rest,
 * every other role the same perturbed figures.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { CASE_ROWS, FIGURE_ACCESS } from '../kit/figure-access.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 2000, institutions: 40, clock: () => new Date('2026-11-02T00:00:00Z') });
});
afterAll(async () => {
  await hub?.close();
});

const PERTURBED_ROLES = [
  { role: 'intake' },
  { role: 'analyst' },
  { role: 'steward' },
  { role: 'court', org: 'IN-00001' },
  { role: 'arbitration', org: 'IN-00002' },
];

async function districtFigures(as: { role: string; org?: string }) {
  return dataOf(await hub.query('{ caseStats(groupBy: [DISTRICT]) { district received resolved perturbed } }', {}, as))
    .caseStats as { district: string; received: number; resolved: number; perturbed: boolean }[];
}
async function trueDistricts() {
  const rows = await hub.knex.cases('cases').groupBy('district').select('district').count({ n: '*' });
  return Object.fromEntries(rows.map((r: any) => [r.district, Number(r.n)]));
}

describe('the figures policy', () => {
  it('is the table the README shows', () => {
    expect(FIGURE_ACCESS).toEqual({
      admin: 'exact',
      institution: 'exact for own cases',
      supervisor: 'exact for own cases',
      intake: 'perturbed',
      analyst: 'perturbed',
      steward: 'perturbed',
      court: 'perturbed',
      arbitration: 'perturbed',
      public: 'perturbed',
    });
    expect(CASE_ROWS).toEqual({
      admin: 'every case',
      institution: 'cases assigned to it',
      supervisor: 'cases it dispatched',
      court: 'cases referred to it',
      arbitration: 'cases referred to it',
      intake: 'cases it received',
      analyst: 'none of its own',
      steward: 'none of its own',
      public: 'none of its own',
    });
    const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain("| `admin` (the justice bureau, the platform's operator) | exact, city-wide |");
    expect(readme).toContain(
      '| `institution`, `supervisor` | exact for the cases it handles (assigned to it; dispatched by it), perturbed for the rest |',
    );
    expect(readme).toContain(
      '| `intake`, `analyst`, `steward`, `court`, `arbitration` | perturbed by the cell-key method |',
    );
  });

  it('gives the operator every district exactly', async () => {
    const figures = await districtFigures({ role: 'admin' });
    expect(Object.fromEntries(figures.map((r) => [r.district, r.received]))).toEqual(await trueDistricts());
    expect(figures.every((r) => !r.perturbed)).toBe(true);
  });

  it('gives every other role without clearance the same perturbed figures', async () => {
    const analyst = await districtFigures({ role: 'analyst' });
    const truth = await trueDistricts();
    expect(analyst.every((r) => r.perturbed && Math.abs(r.received - truth[r.district]!) <= 3)).toBe(true);
    expect(analyst.some((r) => r.received !== truth[r.district])).toBe(true);
    for (const as of PERTURBED_ROLES) expect([as.role, await districtFigures(as)]).toEqual([as.role, analyst]);
  });

  it("gives an institution and a supervising unit their own cases exactly, and another office's as the analyst sees them", async () => {
    const busy = (await hub.knex
      .cases('cases')
      .whereNotNull('institution_id')
      .groupBy('institution_id', 'supervising_unit_id')
      .select('institution_id as id', 'supervising_unit_id as unit')
      .count({ n: '*' })
      .orderBy('n', 'desc')
      .limit(2)) as unknown as { id: string; unit: string; n: number }[];
    const [mine, theirs] = busy as [(typeof busy)[0], (typeof busy)[0]];
    const figure = async (institutionId: string, as: { role: string; org?: string }) =>
      dataOf(
        await hub.query(
          'query($i: ID!) { caseStats(filter: { institutionId: $i }) { received perturbed } }',
          { i: institutionId },
          as,
        ),
      ).caseStats[0];
    for (const own of [
      { role: 'institution', org: mine.id },
      { role: 'supervisor', org: mine.unit },
    ]) {
      expect(await figure(mine.id, own)).toEqual({ received: Number(mine.n), perturbed: own.role === 'supervisor' });
      if (theirs.unit !== mine.unit || own.role === 'institution')
        expect(await figure(theirs.id, own)).toEqual(await figure(theirs.id, { role: 'analyst' }));
    }
  });
});
