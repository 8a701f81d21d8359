import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { caseRow, MUTATIONS, validSubmission } from './support/cases.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 300, clock: () => new Date('2026-06-01T02:00:00Z') });
});
afterAll(async () => {
  await hub?.close();
});

describe('concurrent changes to one case', () => {
  it('lets exactly one of 50 conflicting updates win a version; the others get CONFLICT with the current version', async () => {
    const row = await hub.knex.cases('cases').where('status', 'ACCEPTED').first();
    const as = { role: 'institution', org: row.institution_id };
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        hub.query(MUTATIONS.contact, { id: row.id, at: '2026-05-30T08:00:00Z', willing: true, v: row.version }, as),
      ),
    );
    const wins = results.filter((r) => !r.body.errors);
    const conflicts = results.filter((r) => codesOf(r)[0] === 'CONFLICT');
    expect(wins).toHaveLength(1);
    expect(conflicts).toHaveLength(49);
    for (const c of conflicts) expect(c.body.errors![0]!.extensions!.currentVersion).toBe(row.version + 1);
    const after = await caseRow(hub, row.id);
    expect(after.version).toBe(row.version + 1);
  });

  it('loses no update when 50 clients keep retrying on conflict', async () => {
    const row = await hub.knex.cases('cases').where('status', 'ACCEPTED').offset(1).first();
    const as = { role: 'institution', org: row.institution_id };
    const eventsBefore = await hub.knex.cases('case_events').where('case_seq', row.seq).count({ n: '*' }).first();
    let applied = 0;
    await Promise.all(
      Array.from({ length: 50 }, async (_, client) => {
        for (let done = false; !done;) {
          const current = await caseRow(hub, row.id);
          const result = await hub.query(
            MUTATIONS.contact,
            { id: row.id, at: '2026-05-30T08:00:00Z', willing: client % 2 === 0, v: current.version },
            as,
          );
          if (!result.body.errors) {
            applied++;
            done = true;
            continue;
          }
          expect(codesOf(result)).toEqual(['CONFLICT']);
        }
      }),
    );
    expect(applied).toBe(50);
    const after = await caseRow(hub, row.id);
    expect(after.version).toBe(row.version + 50);
    const eventsAfter = await hub.knex.cases('case_events').where('case_seq', row.seq).count({ n: '*' }).first();
    expect(Number(eventsAfter!.n) - Number(eventsBefore!.n)).toBe(50);
  });
});

describe('concurrent submissions', () => {
  it('number 200 simultaneous submissions with 200 distinct consecutive numbers', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, () => hub.query(MUTATIONS.submit, { input: validSubmission() }, { role: 'intake' })),
    );
    const ids = results.map((r) => dataOf(r).submitCase.id as string);
    expect(new Set(ids).size).toBe(200);
    const numbers = ids.map((id) => Number(id.split('-')[2])).sort((a, b) => a - b);
    const year = ids[0]!.split('-')[1];
    expect(ids.every((id) => id.startsWith(`310000-${year}-`))).toBe(true);
    expect(numbers.at(-1)! - numbers[0]! + 1).toBe(200);
    const seededMax = await hub.knex
      .cases('cases')
      .where('id', 'like', `310000-${year}-%`)
      .whereNotIn('id', ids)
      .max({ id: 'id' })
      .first();
    expect(numbers[0]).toBe(Number(String(seededMax!.id).split('-')[2]) + 1);
  });
});
