import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from './support/hub.js';
import { activeInstitution, MUTATIONS, validSubmission } from './support/cases.js';
import { Random } from '../seed/random.js';
import { toCase } from '../subgraphs/cases/store.js';
import { contributionOf, CubeDelta, parseClosureDays, runningRow } from '../subgraphs/cases/statistics/cells.js';

let hub: Hub;
const NOW = new Date('2026-06-01T02:00:00Z');
beforeAll(async () => { hub = await startHub({ cases: 400, clock: () => NOW }); });
afterAll(async () => { await hub?.close(); });

/** Rows in a comparable form: numbers as numbers, histogram entries in order (their stored order is free). */
const normal = (key: string, value: unknown) => key === 'closure_days' ? String(value).split(',').filter(Boolean).map(Number).sort((a, b) => a - b).join(',')
  : typeof value === 'string' ? value : Number(value);
const sortRows = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, normal(k, r[k])]))).sort();

/** The cube as a recount from the raw case and deadline rows would make it. */
async function recount() {
  const delta = new CubeDelta();
  const earliest = new Map<number, string>();
  for (const d of await hub.knex.cases('case_deadlines').whereNull('met_at')) {
    const due = new Date(d.due_at).toISOString();
    if (!earliest.has(d.case_seq) || due < earliest.get(d.case_seq)!) earliest.set(d.case_seq, due);
  }
  const running = [];
  for (const row of await hub.knex.cases('cases')) {
    const c = toCase(row);
    delta.add(contributionOf(c), 1);
    const r = runningRow(c, earliest.get(c.seq) ?? null);
    if (r) running.push(r);
  }
  return { cells: sortRows(delta.cellRows()), running: sortRows(running) };
}

async function stored() {
  return {
    cells: sortRows(await hub.knex.cases('case_stats_cells').where('n', '>', 0)),
    running: sortRows((await hub.knex.cases('case_stats_running')).map((r) => ({ ...r, due_at: new Date(r.due_at).toISOString() }))),
  };
}

/** One random mutation through the gateway, legal or not, on a random case. */
async function randomMutation(rng: Random): Promise<boolean> {
  const kind = rng.pick(['submit', 'import', 'dispatch', 'contact', 'accept', 'reject', 'close', 'withdraw'] as const);
  if (kind === 'submit') return !(await hub.query(MUTATIONS.submit, { input: validSubmission({ district: rng.pick(['310104', '310101']), category: rng.pick(['LABOUR', 'CONTRACT']) }) }, { role: 'intake' })).body.errors;
  if (kind === 'import') {
    const inputs = Array.from({ length: rng.int(1, 4) }, () => validSubmission({ channel: 'WINDOW', externalRef: `W-${rng.int(1, 30)}` }));
    return !(await hub.query(MUTATIONS.import, { inputs }, { role: 'intake' })).body.errors;
  }
  const status = { dispatch: ['SUBMITTED', 'DISPATCHED'], contact: ['DISPATCHED'], accept: ['DISPATCHED'], reject: ['DISPATCHED'], close: ['ACCEPTED'], withdraw: ['SUBMITTED', 'DISPATCHED', 'ACCEPTED'] }[kind];
  // Mostly cases in a state the move applies to, sometimes any case (an illegal move must change nothing).
  const query = hub.knex.cases('cases').select('id', 'version', 'institution_id', 'supervising_unit_id');
  if (rng.chance(0.85)) query.whereIn('status', status);
  const rows = await query;
  const row = rng.pick(rows);
  const v = rng.chance(0.9) ? row.version : row.version + 1;
  const assigned = { role: 'institution', org: row.institution_id ?? 'IN-00001' };
  let result;
  switch (kind) {
    case 'dispatch': {
      const target = await activeInstitution(hub, row.institution_id ?? undefined, row.supervising_unit_id ?? undefined);
      result = await hub.query(MUTATIONS.dispatch, { id: row.id, to: target.id, v }, { role: 'supervisor', org: target.unit });
      break;
    }
    case 'contact': result = await hub.query(MUTATIONS.contact, { id: row.id, at: '2026-05-31T00:00:00Z', willing: rng.chance(0.8), v }, assigned); break;
    case 'accept': result = await hub.query(MUTATIONS.accept, { id: row.id, v }, assigned); break;
    case 'reject': result = await hub.query(MUTATIONS.reject, { id: row.id, reason: '不属于受理范围', v }, assigned); break;
    case 'close': {
      const resolved = rng.chance(0.6);
      result = await hub.query(MUTATIONS.close, resolved ? { id: row.id, outcome: 'RESOLVED', subject: '双方达成调解协议', v } : { id: row.id, outcome: 'UNRESOLVED', remedies: '可申请仲裁', v }, assigned);
      break;
    }
    case 'withdraw': result = await hub.query(MUTATIONS.withdraw, { id: row.id, reason: '申请人撤回', v }, { role: 'intake' }); break;
  }
  return !result.body.errors;
}

describe('the statistics cube', () => {
  it('equals a recount from the raw rows right after seeding', async () => {
    const counted = await recount();
    expect(counted.cells.length).toBeGreaterThan(50);
    expect(counted.running.length).toBeGreaterThan(5);
    expect(await stored()).toEqual(counted);
  });

  it('equals a recount from the raw rows after a random sequence of mutations, legal and illegal', async () => {
    const rng = new Random(4242);
    let applied = 0;
    for (let i = 0; i < 150; i++) if (await randomMutation(rng)) applied++;
    // Concurrent moves on the same cases too: the losers roll back, cube changes included.
    const open = await hub.knex.cases('cases').where('status', 'ACCEPTED').limit(5);
    await Promise.all(open.flatMap((row) => [1, 2, 3].map(() => hub.query(MUTATIONS.close,
      { id: row.id, outcome: 'UNRESOLVED', remedies: '可申请仲裁', v: row.version }, { role: 'institution', org: row.institution_id }))));
    expect(applied).toBeGreaterThan(40);
    expect(await stored()).toEqual(await recount());
  });

  it('takes a closed mediation out of its atom\'s histogram exactly, should a change ever reopen one', async () => {
    const resolved = toCase(await hub.knex.cases('cases').where('status', 'RESOLVED').first());
    const contribution = contributionOf(resolved);
    const histogram = async () => parseClosureDays((await hub.knex.cases('case_stats_cells').where(contribution.key).first()).closure_days);
    const before = await histogram();
    await hub.knex.cases.transaction((trx) => new CubeDelta().add(contribution, -1).apply(trx));
    const after = await histogram();
    expect(after.get(contribution.closureDays!) ?? 0).toBe(before.get(contribution.closureDays!)! - 1);
    await hub.knex.cases.transaction((trx) => new CubeDelta().add(contribution, 1).apply(trx));
    expect(await stored()).toEqual(await recount());
  });

  it('counts every case once: the cube\'s total and per-status sums equal counts of the cases table', async () => {
    const cube = await hub.knex.cases('case_stats_cells').select('status').sum({ n: 'n' }).groupBy('status');
    const cases = await hub.knex.cases('cases').select('status').count({ n: '*' }).groupBy('status');
    const asMap = (rows: { status: string; n: unknown }[]) => Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]).filter(([, n]) => n !== 0));
    expect(asMap(cube as any)).toEqual(asMap(cases as any));
  });
});
