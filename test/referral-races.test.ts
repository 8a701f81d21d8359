/**
 * A referral is never recorded for a case in the wrong state, whatever runs alongside it: the case is closed,
 * closed the other way, dispatched or diverted while the referral is requested, or the same referral is requested
 * many times at once. On sqlite and on PostgreSQL (where transactions really run side by side).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startHub, type GraphQLResult, type Hub } from './support/hub.js';
import { MUTATIONS } from './support/cases.js';
import { createDatabases, postgresReachable } from './support/postgres.js';
import { caseSupply, REFERRAL_MUTATIONS, targets } from './support/referrals.js';

const reachable = await postgresReachable();

describe.each([
  { store: 'sqlite', skip: false },
  { store: 'PostgreSQL', skip: !reachable },
])('races on $store', ({ store, skip }) => {
  let hub: Hub;
  let databases: Awaited<ReturnType<typeof createDatabases>> | undefined;
  let take: ReturnType<typeof caseSupply>;
  let courts: string[];

  beforeAll(async () => {
    if (skip) return;
    if (store === 'PostgreSQL') databases = await createDatabases(['cases', 'institutions', 'referrals']);
    hub = await startHub({ cases: 500, databaseUrls: databases?.urls });
    take = caseSupply(hub);
    courts = await targets(hub, ['COURT']);
  });
  afterAll(async () => {
    await hub?.close();
    await databases?.drop();
  });

  const request = (c: { id: string; institutionId: string }, kind = 'JUDICIAL_CONFIRMATION') =>
    hub.query(
      REFERRAL_MUTATIONS.request,
      { caseId: c.id, kind, targetId: courts[0] },
      { role: 'institution', org: c.institutionId },
    );
  const later = <T>(ms: number, run: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      setTimeout(() => run().then(resolve, reject), ms);
    });

  it.skipIf(skip)(
    'a case being closed: a referral lands only once the case is closed RESOLVED, never before, never for UNRESOLVED',
    async () => {
      const accepted = await take('ACCEPTED', 12);
      const outcomes = await Promise.all(
        accepted.map(async (c, i) => {
          const outcome = i % 3 === 2 ? 'UNRESOLVED' : 'RESOLVED';
          const close = hub.query(
            MUTATIONS.close,
            { id: c.id, outcome, subject: '双方同意分期付款', remedies: '可申请仲裁或起诉', v: c.version },
            { role: 'institution', org: c.institutionId },
          );
          // Requests before, alongside and after the close: whichever lands, the case's truth decides.
          const requests = await Promise.all([
            request(c),
            later(2, () => request(c)),
            later(15, () => request(c)),
            later(40, () => request(c)),
          ]);
          return { c, outcome, close: await close, requests };
        }),
      );
      let landed = 0;
      for (const { c, outcome, close, requests } of outcomes) {
        expect(codesOf(close)).toEqual([]);
        const row = await hub.knex.cases('cases').where('id', c.id).first();
        expect(row.status).toBe(outcome);
        const succeeded = requests.filter((r: GraphQLResult) => !r.body.errors?.length);
        const mine = await hub.knex
          .referrals('referrals')
          .where('case_id', c.id)
          .join('referral_events', 'referral_events.referral_seq', 'referrals.seq')
          .select('referrals.*');
        if (outcome === 'UNRESOLVED') {
          expect(succeeded).toHaveLength(0);
          expect(mine).toHaveLength(0);
        } else {
          expect(succeeded.length).toBeLessThanOrEqual(1);
          expect(mine).toHaveLength(succeeded.length);
          // Recorded after the close committed: the registry said RESOLVED only once it was.
          for (const referral of mine)
            expect(Date.parse(referral.submitted_at)).toBeGreaterThanOrEqual(Date.parse(row.closed_at));
          landed += mine.length;
        }
        for (const refused of requests.filter((r: GraphQLResult) => r.body.errors?.length)) {
          const error = refused.body.errors![0]!;
          expect(['INVALID_TRANSITION', 'CONFLICT']).toContain(error.extensions!.code);
          if (error.extensions!.code === 'INVALID_TRANSITION')
            expect(['ACCEPTED', 'UNRESOLVED']).toContain(error.extensions!.currentStatus);
        }
      }
      // The last request of each RESOLVED case comes well after its close: referrals did land.
      expect(landed).toBeGreaterThan(0);
    },
  );

  it.skipIf(skip)('a case being dispatched or diverted: no referral, whoever asks', async () => {
    const dispatched = await take('DISPATCHED', 6);
    const submitted = await take('SUBMITTED', 4).catch(() => []);
    const other = (
      await hub.knex.institutions('institutions').where({ status: 'ACTIVE', kind: 'PEOPLES_MEDIATION' }).orderBy('seq')
    ).map((r) => r);
    const results = await Promise.all(
      [...dispatched, ...submitted].map(async (c) => {
        const row = await hub.knex.cases('cases').where('id', c.id).first();
        const to =
          other.find(
            (i) =>
              i.id !== c.institutionId &&
              (!row.supervising_unit_id || i.supervising_unit_id === row.supervising_unit_id),
          ) ?? other[0];
        const dispatch = hub.query(
          MUTATIONS.dispatch,
          { id: c.id, to: to.id, v: c.version },
          { role: 'supervisor', org: to.supervising_unit_id },
        );
        const asked = await Promise.all([
          request(c),
          later(5, () => request(c, 'LITIGATION')),
          later(20, () => request({ id: c.id, institutionId: to.id })),
        ]);
        await dispatch;
        return { c, asked };
      }),
    );
    for (const { c, asked } of results) {
      for (const r of asked) expect(['INVALID_TRANSITION', 'NOT_FOUND']).toContain(codesOf(r)[0]);
      const recorded = await hub.knex.referrals('referrals').where('case_id', c.id).count({ n: '*' }).first();
      expect(Number(recorded!.n)).toBe(0);
    }
  });

  it.skipIf(skip)('the same case asked many times at once: one referral, the others CONFLICT', async () => {
    const resolved = await take('RESOLVED', 3);
    for (const c of resolved) {
      const answers = await Promise.all(Array.from({ length: 6 }, () => request(c)));
      const ok = answers.filter((r) => !r.body.errors?.length);
      expect(ok).toHaveLength(1);
      for (const r of answers.filter((a) => a.body.errors?.length)) expect(codesOf(r)).toEqual(['CONFLICT']);
      const open = await hub.knex
        .referrals('referrals')
        .where('case_id', c.id)
        .whereIn('status', ['SUBMITTED', 'ACCEPTED'])
        .count({ n: '*' })
        .first();
      expect(Number(open!.n)).toBe(1);
    }
  });
});
