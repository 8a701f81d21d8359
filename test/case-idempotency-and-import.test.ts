import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { caseRow, MUTATIONS, validSubmission } from './support/cases.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 200, clock: () => new Date('2026-06-01T02:00:00Z') });
});
afterAll(async () => {
  await hub?.close();
});

const intake = { role: 'intake' };
const count = async (table: string) => Number((await hub.knex.cases(table).count({ n: '*' }).first())!.n);

describe('idempotent retries', () => {
  it('returns the first result for a retried submission and creates nothing more', async () => {
    const input = validSubmission();
    const first = dataOf(await hub.query(MUTATIONS.submit, { input, key: 'portal-req-1' }, intake)).submitCase;
    const cases = await count('cases');
    const retry = dataOf(await hub.query(MUTATIONS.submit, { input, key: 'portal-req-1' }, intake)).submitCase;
    expect(retry.id).toBe(first.id);
    expect(await count('cases')).toBe(cases);
  });

  it('refuses the same key with a different input, naming idempotencyKey', async () => {
    await hub.query(MUTATIONS.submit, { input: validSubmission(), key: 'portal-req-2' }, intake);
    const other = await hub.query(
      MUTATIONS.submit,
      { input: validSubmission({ claims: '要求赔偿' }), key: 'portal-req-2' },
      intake,
    );
    expect(codesOf(other)).toEqual(['BAD_USER_INPUT']);
    expect(other.body.errors![0]!.message).toMatch(/^idempotencyKey: already used for a different submitCase request/);
  });

  it('replays a status change after the version moved on, without a second event', async () => {
    const row = await hub.knex.cases('cases').where('status', 'DISPATCHED').first();
    const as = { role: 'institution', org: row.institution_id };
    const first = dataOf(
      await hub.query(MUTATIONS.accept, { id: row.id, v: row.version, key: 'accept-1' }, as),
    ).acceptCase;
    const events = await hub.knex.cases('case_events').where('case_seq', row.seq).count({ n: '*' }).first();
    const retry = dataOf(
      await hub.query(MUTATIONS.accept, { id: row.id, v: row.version, key: 'accept-1' }, as),
    ).acceptCase;
    expect(retry.version).toBe(first.version);
    expect(retry.status).toBe('ACCEPTED');
    expect(await hub.knex.cases('case_events').where('case_seq', row.seq).count({ n: '*' }).first()).toEqual(events);
    // Without the key the same request is a stale write.
    expect(codesOf(await hub.query(MUTATIONS.accept, { id: row.id, v: row.version }, as))).toEqual(['CONFLICT']);
  });

  it('keeps keys apart between principals', async () => {
    const input = validSubmission();
    const mine = dataOf(await hub.query(MUTATIONS.submit, { input, key: 'shared-key' }, intake)).submitCase;
    const otherDesk = dataOf(
      await hub.post(
        hub.urls.gateway,
        { query: MUTATIONS.submit, variables: { input, key: 'shared-key' } },
        {
          authorization: `Bearer ${await (await import('../gateway/dev-token.js')).signDevToken({ sub: 'window-desk-2', role: 'intake' }, hub.config.jwt.secret!)}`,
        },
      ),
    ).submitCase;
    expect(otherDesk.id).not.toBe(mine.id);
  });
});

describe('window imports', () => {
  it('creates no duplicate when a window case with a known externalRef is submitted again', async () => {
    const input = validSubmission({ channel: 'WINDOW', externalRef: 'XH-WIN-2026-0042' });
    const first = dataOf(await hub.query(MUTATIONS.submit, { input }, intake)).submitCase;
    const again = dataOf(await hub.query(MUTATIONS.submit, { input }, intake)).submitCase;
    expect(again.id).toBe(first.id);
    expect(await hub.knex.cases('cases').where('external_ref', 'XH-WIN-2026-0042').count({ n: '*' }).first()).toEqual({
      n: 1,
    });
  });

  it('imports a batch with mixed valid and invalid rows, keeps the valid ones, and reports each error by index and field', async () => {
    const batch = [
      validSubmission({ channel: 'WINDOW', externalRef: 'IMP-1' }),
      validSubmission({ channel: 'WINDOW', externalRef: 'IMP-2', district: '999999' }),
      validSubmission({ channel: 'WINDOW', externalRef: 'IMP-3' }),
      validSubmission({ channel: 'WINDOW' }),
      validSubmission({ channel: 'WINDOW', externalRef: 'IMP-1' }),
      {
        ...validSubmission({ channel: 'WINDOW', externalRef: 'IMP-6' }),
        parties: [
          { role: 'APPLICANT', kind: 'PERSON', name: '王五', idNumber: '110105194912310021' },
          { role: 'RESPONDENT', kind: 'PERSON', name: '赵六', idNumber: '11010519491231002X' },
        ],
      },
    ];
    const before = await count('cases');
    const report = dataOf(await hub.query(MUTATIONS.import, { inputs: batch }, intake)).importCases;
    expect(report.created).toHaveLength(2);
    expect(report.errors).toEqual([
      { index: 1, field: 'inputs[1].district', message: expect.stringContaining('not a district code') },
      { index: 3, field: 'inputs[3].externalRef', message: expect.stringContaining('required for WINDOW') },
      {
        index: 5,
        field: 'inputs[5].parties[0].idNumber',
        message: expect.stringContaining('check character does not match'),
      },
    ]);
    // Item 4 repeats item 0's externalRef: the same case, reported as existing.
    expect(report.existing.map((c: any) => c.id)).toEqual([report.created[0].id]);
    expect(await count('cases')).toBe(before + 2);

    const again = dataOf(await hub.query(MUTATIONS.import, { inputs: [batch[0], batch[2]] }, intake)).importCases;
    expect(again.created).toEqual([]);
    expect(again.existing.map((c: any) => c.id)).toEqual(report.created.map((c: any) => c.id));
    expect(await count('cases')).toBe(before + 2);
  });

  it('refuses an empty batch and one over 1,000 items', async () => {
    expect((await hub.query(MUTATIONS.import, { inputs: [] }, intake)).body.errors![0]!.message).toMatch(
      /^inputs: must hold 1 to 1000 cases/,
    );
    const tooMany = Array.from({ length: 1001 }, (_, i) =>
      validSubmission({ channel: 'WINDOW', externalRef: `BIG-${i}` }),
    );
    const result = await hub.query(MUTATIONS.import, { inputs: tooMany }, intake);
    expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
    expect(await hub.knex.cases('cases').where('external_ref', 'like', 'BIG-%').count({ n: '*' }).first()).toEqual({
      n: 0,
    });
  });

  it('writes the timeline event in the same transaction as each case', async () => {
    const rows = await hub.knex
      .cases('cases')
      .leftJoin('case_events', 'case_events.case_seq', 'cases.seq')
      .whereNull('case_events.id')
      .count({ n: '*' })
      .first();
    expect(rows).toEqual({ n: 0 });
    const row = await caseRow(
      hub,
      dataOf(await hub.query(MUTATIONS.submit, { input: validSubmission() }, intake)).submitCase.id,
    );
    expect(
      await hub.knex
        .cases('case_events')
        .where('case_seq', row.seq)
        .select('action', 'actor', 'actor_role', 'to_status'),
    ).toEqual([{ action: 'SUBMIT', actor: 'test-intake', actor_role: 'intake', to_status: 'SUBMITTED' }]);
  });
});
