import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startHub, type Hub } from './support/hub.js';
import { MUTATIONS, validSubmission } from './support/cases.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 120, clock: () => new Date('2026-06-01T02:00:00Z') });
});
afterAll(async () => {
  await hub?.close();
});

function expectNotFoundSayingNothing(result: Awaited<ReturnType<Hub['query']>>, row: Record<string, any>) {
  expect(codesOf(result)).toEqual(['NOT_FOUND']);
  expect(result.body.errors![0]!.message).toBe('case not found');
  const text = JSON.stringify(result.body);
  for (const value of [
    row.status,
    row.institution_id,
    row.supervising_unit_id,
    row.category,
    row.district,
    String(row.version),
  ]) {
    if (value) expect(text).not.toContain(`"${value}"`);
  }
  expect(result.body.errors![0]!.message).not.toContain(row.status);
}

describe('per-record authorisation of case changes', () => {
  it('lets an institution change only the cases assigned to it', async () => {
    const row = await hub.knex.cases('cases').where('status', 'DISPATCHED').first();
    const other = await hub.knex
      .institutions('institutions')
      .whereNot('id', row.institution_id)
      .where('kind', 'PEOPLES_MEDIATION')
      .first();
    const result = await hub.query(
      MUTATIONS.accept,
      { id: row.id, v: row.version },
      { role: 'institution', org: other.id },
    );
    expectNotFoundSayingNothing(result, row);
    expect((await hub.knex.cases('cases').where('id', row.id).first()).version).toBe(row.version);
  });

  it('lets a supervisor re-dispatch only the cases of its own institutions', async () => {
    const row = await hub.knex.cases('cases').where('status', 'DISPATCHED').first();
    const foreignUnit = row.supervising_unit_id === 'SU-HRSS' ? 'SU-JUSTICE' : 'SU-HRSS';
    const result = await hub.query(
      MUTATIONS.dispatch,
      { id: row.id, to: row.institution_id, v: row.version },
      { role: 'supervisor', org: foreignUnit },
    );
    expectNotFoundSayingNothing(result, row);
  });

  it('refuses every change to a principal whose role does not make it', async () => {
    const row = await hub.knex.cases('cases').where('status', 'ACCEPTED').first();
    for (const [role, org] of [
      ['analyst', undefined],
      ['admin', undefined],
      ['court', 'IN-00003'],
      ['steward', undefined],
    ] as const) {
      const result = await hub.query(MUTATIONS.withdraw, { id: row.id, reason: '撤回', v: row.version }, { role, org });
      expect(codesOf(result), role).toEqual(['FORBIDDEN']);
      expect(result.body.errors![0]!.message).toBe('withdrawCase needs role intake');
    }
    const submit = await hub.query(
      MUTATIONS.submit,
      { input: validSubmission() },
      { role: 'institution', org: row.institution_id },
    );
    expect(submit.body.errors![0]!.message).toBe('submitCase needs role intake');
  });

  it('answers NOT_FOUND for a case that does not exist', async () => {
    const result = await hub.query(
      MUTATIONS.accept,
      { id: '310000-2026-9999999', v: 1 },
      { role: 'institution', org: 'IN-00001' },
    );
    expect(codesOf(result)).toEqual(['NOT_FOUND']);
    expect(result.body.errors![0]!.message).toBe('case not found');
  });
});
