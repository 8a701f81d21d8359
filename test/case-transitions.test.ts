import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { activeInstitution, MUTATIONS } from './support/cases.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 900, clock: () => new Date('2026-06-01T02:00:00Z') });
});
afterAll(async () => {
  await hub?.close();
});

const STATES = ['SUBMITTED', 'DISPATCHED', 'ACCEPTED', 'REJECTED', 'RESOLVED', 'UNRESOLVED', 'WITHDRAWN'] as const;
type Mutation = 'dispatch' | 'contact' | 'accept' | 'reject' | 'close' | 'withdraw';

/** The legal moves, written out by hand from the domain's case flow: state → mutation → resulting state. */
const LEGAL: Record<string, Partial<Record<Mutation, string>>> = {
  SUBMITTED: { dispatch: 'DISPATCHED', withdraw: 'WITHDRAWN' },
  DISPATCHED: {
    dispatch: 'DISPATCHED',
    contact: 'DISPATCHED',
    accept: 'ACCEPTED',
    reject: 'REJECTED',
    withdraw: 'WITHDRAWN',
  },
  ACCEPTED: { contact: 'ACCEPTED', close: 'UNRESOLVED', withdraw: 'WITHDRAWN' },
  REJECTED: {},
  RESOLVED: {},
  UNRESOLVED: {},
  WITHDRAWN: {},
};
const MUTATION_FIELD: Record<Mutation, string> = {
  dispatch: 'dispatchCase',
  contact: 'recordRespondentContact',
  accept: 'acceptCase',
  reject: 'rejectCase',
  close: 'closeCase',
  withdraw: 'withdrawCase',
};

async function attempt(mutation: Mutation, row: Record<string, any>) {
  const v = row.version;
  // A submitted case has no institution yet: any institution stands in for one that tries to act on it.
  const assigned = { role: 'institution', org: row.institution_id ?? 'IN-00001' };
  switch (mutation) {
    case 'dispatch': {
      const target = await activeInstitution(
        hub,
        row.institution_id ?? undefined,
        row.supervising_unit_id ?? undefined,
      );
      return hub.query(MUTATIONS.dispatch, { id: row.id, to: target.id, v }, { role: 'supervisor', org: target.unit });
    }
    case 'contact':
      return hub.query(MUTATIONS.contact, { id: row.id, at: '2026-05-31T00:00:00Z', willing: true, v }, assigned);
    case 'accept':
      return hub.query(MUTATIONS.accept, { id: row.id, v }, assigned);
    case 'reject':
      return hub.query(MUTATIONS.reject, { id: row.id, reason: '不属于受理范围', v }, assigned);
    case 'close':
      return hub.query(
        MUTATIONS.close,
        { id: row.id, outcome: 'UNRESOLVED', remedies: '可申请仲裁或起诉', v },
        assigned,
      );
    case 'withdraw':
      return hub.query(MUTATIONS.withdraw, { id: row.id, reason: '申请人撤回', v }, { role: 'intake' });
  }
}

describe('every state against every mutation', () => {
  for (const state of STATES) {
    for (const mutation of Object.keys(MUTATION_FIELD) as Mutation[]) {
      const expected = LEGAL[state]![mutation];
      it(`${state} × ${MUTATION_FIELD[mutation]}: ${expected ? `moves to ${expected}` : 'INVALID_TRANSITION'}`, async () => {
        // A fresh case in that state for each pair (assigned, where the mutation needs an institution, and not declined by the respondent).
        const used = ((globalThis as any).__usedCases ??= new Set<string>());
        const query = hub.knex
          .cases('cases')
          .where('status', state)
          .whereNotIn('id', [...used])
          .where((q) => q.whereNull('respondent_willing').orWhere('respondent_willing', true));
        if (state !== 'SUBMITTED' && mutation !== 'withdraw') query.whereNotNull('institution_id');
        const row = await query.orderBy('seq').first();
        expect(row, `a seeded case in ${state}`).toBeDefined();
        used.add(row.id);
        const result = await attempt(mutation, row);
        if (expected) {
          const data = dataOf(result)[MUTATION_FIELD[mutation]];
          expect(data.status).toBe(expected);
          expect(data.version).toBe(row.version + 1);
          expect(data.timeline.at(-1)).toMatchObject({ fromStatus: state, toStatus: expected });
        } else if (state === 'SUBMITTED' && mutation !== 'withdraw' && mutation !== 'dispatch') {
          // No institution holds a submitted case yet: to an institution it is as if it did not exist.
          expect(codesOf(result)).toEqual(['NOT_FOUND']);
        } else {
          expect(codesOf(result)).toEqual(['INVALID_TRANSITION']);
          const error = result.body.errors![0]!;
          expect(error.extensions).toMatchObject({ currentStatus: state });
          expect(error.message).toContain(`is ${state}`);
          expect((await hub.knex.cases('cases').where('id', row.id).first()).version).toBe(row.version);
        }
      });
    }
  }
});

describe("the respondent's willingness", () => {
  it('after the respondent declines, refuses acceptance and a resolved closure but allows rejection', async () => {
    const row = await hub.knex
      .cases('cases')
      .where('status', 'DISPATCHED')
      .where('dispatched_at', '<', '2026-05-30')
      .orderBy('seq', 'desc')
      .first();
    const as = { role: 'institution', org: row.institution_id };
    const declined = dataOf(
      await hub.query(
        MUTATIONS.contact,
        { id: row.id, at: '2026-05-31T00:00:00Z', willing: false, v: row.version },
        as,
      ),
    ).recordRespondentContact;
    expect(declined.timeline.at(-1)).toMatchObject({
      fromStatus: 'DISPATCHED',
      toStatus: 'DISPATCHED',
      reason: 'respondent declined mediation',
    });
    const accept = await hub.query(MUTATIONS.accept, { id: row.id, v: declined.version }, as);
    expect(codesOf(accept)).toEqual(['INVALID_TRANSITION']);
    expect(accept.body.errors![0]!.message).toMatch(/respondent declined mediation/);
    const rejected = dataOf(
      await hub.query(MUTATIONS.reject, { id: row.id, reason: '被申请人不同意调解', v: declined.version }, as),
    ).rejectCase;
    expect(rejected.status).toBe('REJECTED');
  });
});
