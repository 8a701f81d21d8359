import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub, type HubOptions } from './support/hub.js';
import { MUTATIONS, validSubmission } from './support/cases.js';
import { activeInstitutions, REGISTRY, supervisor } from './support/registry.js';
import { createDatabases, postgresReachable } from './support/postgres.js';
import { isPostgres, rowsOf, selectForUpdate } from '../kit/store.js';

const PAIRS = 12;
const reachable = await postgresReachable();

/**
 * Dispatches a case to each of PAIRS institutions while their suspension is being approved, all at once, then
 * checks each pair: either the dispatch came first (its permit is recorded no later than the suspension) or it was
 * refused as not active; never a dispatch after the suspension committed.
 */
async function raceDispatchesAgainstSuspensions(hub: Hub) {
  const unit = (await activeInstitutions(hub, 1))[0]!.unit;
  const [warmUp, ...targets] = await activeInstitutions(hub, PAIRS + 1, unit);
  expect(targets.length).toBeGreaterThan(3);
  // One dispatch first, so the gateway's query plans are ready and the race is between the two writes.
  const first = dataOf(await hub.query(MUTATIONS.submit, { input: validSubmission() }, { role: 'intake' })).submitCase;
  dataOf(await hub.query(MUTATIONS.dispatch, { id: first.id, to: warmUp!.id, v: first.version }, supervisor(unit)));
  const cases: any[] = [];
  for (const _ of targets)
    cases.push(dataOf(await hub.query(MUTATIONS.submit, { input: validSubmission() }, { role: 'intake' })).submitCase);
  const requests: any[] = [];
  for (const target of targets) {
    requests.push(
      dataOf(
        await hub.query(
          REGISTRY.request,
          { input: { kind: 'SUSPEND', institutionId: target.id, reason: '严重投诉，暂停接收办件' } },
          supervisor(unit),
        ),
      ).requestInstitutionChange,
    );
  }

  // A dispatch travels further (gateway, cases, registry) than an approval: approvals start a little later, pair by
  // pair, so that some land before and some after the permit. The checks below hold for any order.
  const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const outcomes = await Promise.all(
    targets.flatMap((target, i) => [
      hub.query(MUTATIONS.dispatch, { id: cases[i].id, to: target.id, v: cases[i].version }, supervisor(unit)),
      later(i * 40).then(() =>
        hub.query(REGISTRY.decide, { id: requests[i].id, decision: 'APPROVE', note: '同意暂停' }),
      ),
    ]),
  );

  for (const [i, target] of targets.entries()) {
    const [dispatch, decision] = [outcomes[2 * i]!, outcomes[2 * i + 1]!];
    const decided = dataOf(decision).decideInstitutionChange;
    expect(decided.institution.status).toBe('SUSPENDED');
    const permits = await hub.knex.institutions('dispatch_permits').where('institution_id', target.id);
    const row = await hub.knex.cases('cases').where('id', cases[i].id).first();
    if (dispatch.body.errors) {
      expect(codesOf(dispatch)).toEqual(['INSTITUTION_NOT_ACTIVE']);
      expect(permits).toEqual([]);
      expect(row).toMatchObject({ status: 'SUBMITTED', institution_id: null });
    } else {
      expect(dataOf(dispatch).dispatchCase).toMatchObject({ status: 'DISPATCHED', institution: { id: target.id } });
      expect(permits).toHaveLength(1);
      expect(new Date(permits[0].granted_at).getTime()).toBeLessThanOrEqual(Date.parse(decided.decidedAt));
      expect(row).toMatchObject({ status: 'DISPATCHED', institution_id: target.id });
    }
  }

  // Once the suspension is committed, no dispatch gets through.
  const next = dataOf(await hub.query(MUTATIONS.submit, { input: validSubmission() }, { role: 'intake' })).submitCase;
  const late = await hub.query(
    MUTATIONS.dispatch,
    { id: next.id, to: targets[0]!.id, v: next.version },
    supervisor(unit),
  );
  expect(late.body.errors![0]).toMatchObject({
    extensions: { code: 'INSTITUTION_NOT_ACTIVE', institutionStatus: 'SUSPENDED' },
  });
}

/**
 * The same race, pinned: a suspension's transaction holds the institution while a dispatch asks for its permit.
 * The permit waits (for the row lock on PostgreSQL, for the single writer on sqlite) and, once the suspension
 * commits, is refused.
 */
async function permitWaitsForAnUncommittedSuspension(hub: Hub) {
  const [target] = await activeInstitutions(hub, 1);
  const knex = hub.knex.institutions;
  const trx = await knex.transaction();
  const locked = await selectForUpdate(trx, 'institutions', { id: target!.id });
  expect(locked?.status).toBe('ACTIVE');
  await trx('institutions')
    .where('id', target!.id)
    .update({ status: 'SUSPENDED', status_changed_at: new Date().toISOString() });
  const submitted = dataOf(
    await hub.query(MUTATIONS.submit, { input: validSubmission() }, { role: 'intake' }),
  ).submitCase;
  let settled = false;
  const dispatch = hub
    .query(MUTATIONS.dispatch, { id: submitted.id, to: target!.id, v: submitted.version }, supervisor(target!.unit))
    .finally(() => {
      settled = true;
    });
  // Commit only once the permit's transaction is seen waiting behind ours.
  const waiting = isPostgres(knex)
    ? async () =>
        Number(
          rowsOf<{ n: string }>(
            await knex.raw(
              `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
            ),
          )[0]!.n,
        ) > 0
    : async () => (knex.client.pool as { numPendingAcquires(): number }).numPendingAcquires() > 0;
  while (!settled && !(await waiting())) await new Promise((resolve) => setTimeout(resolve, 5));
  const answeredWithoutWaiting = settled;
  await trx.commit();
  expect(answeredWithoutWaiting, 'the permit was decided while the suspension was uncommitted').toBe(false);
  const result = await dispatch;
  expect(result.body.errors![0]).toMatchObject({
    extensions: { code: 'INSTITUTION_NOT_ACTIVE', institutionStatus: 'SUSPENDED' },
  });
  expect(await knex('dispatch_permits').where({ institution_id: target!.id, case_id: submitted.id })).toEqual([]);
}

describe('a dispatch racing the suspension of its institution', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ cases: 20, institutions: 100 });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('is either recorded before the suspension or refused (sqlite registry)', () =>
    raceDispatchesAgainstSuspensions(hub));
  it('waits for a suspension in progress, then is refused (sqlite registry)', () =>
    permitWaitsForAnUncommittedSuspension(hub));
});

describe.skipIf(!reachable)('a dispatch racing the suspension of its institution, registry on PostgreSQL', () => {
  let hub: Hub;
  let databases: Awaited<ReturnType<typeof createDatabases>>;
  beforeAll(async () => {
    databases = await createDatabases(['institutions']);
    hub = await startHub({ cases: 20, institutions: 100, databaseUrls: databases.urls as HubOptions['databaseUrls'] });
  });
  afterAll(async () => {
    await hub?.close();
    await databases?.drop();
  });

  it('is either recorded before the suspension or refused (row lock on the institution)', () =>
    raceDispatchesAgainstSuspensions(hub));
  it('waits for a suspension in progress, then is refused (row lock on the institution)', () =>
    permitWaitsForAnUncommittedSuspension(hub));
});
