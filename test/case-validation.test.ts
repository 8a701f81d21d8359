import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startHub, type Hub } from './support/hub.js';
import { MUTATIONS, validSubmission } from './support/cases.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 60, clock: () => new Date('2026-06-01T02:00:00Z') });
});
afterAll(async () => {
  await hub?.close();
});

const intake = { role: 'intake' };
const withParty = (index: number, change: Record<string, unknown>) => {
  const input = validSubmission();
  input.parties[index] = { ...input.parties[index]!, ...change } as (typeof input.parties)[number];
  return input;
};

describe('submission input is validated before anything is written', () => {
  it.each([
    [
      'a resident ID with a wrong check digit',
      withParty(0, { idNumber: '110105194912310021' }),
      'input.parties[0].idNumber',
      /check character does not match/,
    ],
    [
      'a resident ID with an impossible birth date',
      withParty(0, { idNumber: '11010519491332002X' }),
      'input.parties[0].idNumber',
      /birth date/,
    ],
    [
      'a credit code with a wrong check',
      withParty(1, { idNumber: '91310104MA1FL8XQ11' }),
      'input.parties[1].idNumber',
      /unified social credit code/,
    ],
    [
      'a phone number that is neither mobile nor landline',
      withParty(0, { phone: '12345' }),
      'input.parties[0].phone',
      /mobile number/,
    ],
    [
      'an email address without a domain',
      withParty(0, { email: 'zhang@' }),
      'input.parties[0].email',
      /not an email address/,
    ],
    ['a blank party name', withParty(0, { name: '   ' }), 'input.parties[0].name', /must not be blank/],
    ['an over-long name', withParty(0, { name: '张'.repeat(101) }), 'input.parties[0].name', /at most 100 characters/],
    [
      'a dispute in the future',
      validSubmission({ occurredAt: '2026-07-01T00:00:00Z' }),
      'input.occurredAt',
      /must not be in the future/,
    ],
    ['blank claims', validSubmission({ claims: '' }), 'input.claims', /must not be blank/],
    ['claims over 2,000 characters', validSubmission({ claims: '诉'.repeat(2001) }), 'input.claims', /at most 2000/],
    ['an unknown district', validSubmission({ district: '310199' }), 'input.district', /not a district code/],
    [
      'no respondent',
      { ...validSubmission(), parties: [validSubmission().parties[0]] },
      'input.parties',
      /must include a RESPONDENT/,
    ],
    [
      'a window submission without its reference',
      validSubmission({ channel: 'WINDOW' }),
      'input.externalRef',
      /required for WINDOW/,
    ],
  ])('refuses %s, naming the field and not echoing the value', async (_label, input, field, message) => {
    const before = await hub.knex.cases('cases').count({ n: '*' }).first();
    const result = await hub.query(MUTATIONS.submit, { input }, intake);
    expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
    const error = result.body.errors![0]!;
    expect(error.extensions!.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(error.message).toMatch(message);
    for (const party of (input as any).parties) {
      for (const value of [party.idNumber, party.phone, party.name?.trim()])
        if (value) expect(error.message).not.toContain(value);
    }
    expect(await hub.knex.cases('cases').count({ n: '*' }).first()).toEqual(before);
  });

  it('refuses a category outside the enum through GraphQL itself', async () => {
    const result = await hub.query(MUTATIONS.submit, { input: validSubmission({ category: 'PIRACY' }) }, intake);
    expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.body.errors![0]!.message).toMatch(/DisputeCategory/);
  });
});

describe('status changes need their reasons', () => {
  it('refuses a rejection without a non-blank reason, and closures without subject or remedies', async () => {
    const dispatched = await hub.knex.cases('cases').where('status', 'DISPATCHED').first();
    const accepted = await hub.knex
      .cases('cases')
      .where('status', 'ACCEPTED')
      .where((q) => q.whereNull('respondent_willing').orWhere('respondent_willing', true))
      .first();
    const reject = await hub.query(
      MUTATIONS.reject,
      { id: dispatched.id, reason: '  ', v: dispatched.version },
      { role: 'institution', org: dispatched.institution_id },
    );
    expect(reject.body.errors![0]!.message).toBe('reason: must not be blank');
    const asAssigned = { role: 'institution', org: accepted.institution_id };
    const resolved = await hub.query(
      MUTATIONS.close,
      { id: accepted.id, outcome: 'RESOLVED', remedies: 'x', v: accepted.version },
      asAssigned,
    );
    expect(resolved.body.errors![0]!.message).toBe('agreementSubject: must not be blank');
    const unresolved = await hub.query(
      MUTATIONS.close,
      { id: accepted.id, outcome: 'UNRESOLVED', subject: 'x', v: accepted.version },
      asAssigned,
    );
    expect(unresolved.body.errors![0]!.message).toBe('remedies: must not be blank');
    expect((await hub.knex.cases('cases').where('id', accepted.id).first()).version).toBe(accepted.version);
  });

  it('refuses a respondent contact in the future or before the dispatch', async () => {
    const row = await hub.knex.cases('cases').where('status', 'DISPATCHED').offset(1).first();
    const as = { role: 'institution', org: row.institution_id };
    const future = await hub.query(
      MUTATIONS.contact,
      { id: row.id, at: '2026-06-02T00:00:00Z', willing: true, v: row.version },
      as,
    );
    expect(future.body.errors![0]!.message).toBe('contactedAt: must not be in the future');
    const early = await hub.query(
      MUTATIONS.contact,
      { id: row.id, at: '2020-01-01T00:00:00Z', willing: true, v: row.version },
      as,
    );
    expect(early.body.errors![0]!.message).toBe('contactedAt: is before the case was dispatched to this institution');
  });

  it('refuses a malformed version', async () => {
    const row = await hub.knex.cases('cases').where('status', 'DISPATCHED').first();
    const result = await hub.query(
      MUTATIONS.accept,
      { id: row.id, v: 0 },
      { role: 'institution', org: row.institution_id },
    );
    expect(result.body.errors![0]!.message).toMatch(/^expectedVersion: /);
  });
});
