/** The statistics cube against a recount of the raw rows, and random mutations to move it (test/case-statistics-*.test.ts). */
import type { Hub } from './hub.js';
import { activeInstitution, MUTATIONS, validSubmission } from './cases.js';
import type { Random } from '../../seed/random.js';
import { toCase } from '../../subgraphs/cases/store.js';
import { contributionOf, CubeDelta, runningRow } from '../../subgraphs/cases/statistics/cells.js';

/** Rows in a comparable form: numbers as numbers, histogram entries in order (their stored order is free). */
const normal = (key: string, value: unknown) =>
  key === 'closure_days'
    ? String(value)
        .split(',')
        .filter(Boolean)
        .map(Number)
        .sort((a, b) => a - b)
        .join(',')
    : // PostgreSQL gives bigint columns (the key sums) as text.
      typeof value === 'string' && !/^key_|^record_key$/.test(key)
      ? value
      : Number(value);
const sortRows = (rows: Record<string, unknown>[]) =>
  rows
    .map((r) =>
      JSON.stringify(
        Object.keys(r)
          .sort()
          .map((k) => [k, normal(k, r[k])]),
      ),
    )
    .sort();

/** The cube (counters, key sums, histograms) and the running-limits table as a recount from the raw case and deadline rows would make them. */
export async function recount(hub: Hub) {
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

export async function stored(hub: Hub) {
  return {
    cells: sortRows(await hub.knex.cases('case_stats_cells').where('n', '>', 0)),
    running: sortRows(
      (await hub.knex.cases('case_stats_running')).map((r) => ({ ...r, due_at: new Date(r.due_at).toISOString() })),
    ),
  };
}

/** One random mutation through the gateway, legal or not, on a random case. */
export async function randomMutation(hub: Hub, rng: Random): Promise<boolean> {
  const kind = rng.pick(['submit', 'import', 'dispatch', 'contact', 'accept', 'reject', 'close', 'withdraw'] as const);
  if (kind === 'submit')
    return !(
      await hub.query(
        MUTATIONS.submit,
        {
          input: validSubmission({
            district: rng.pick(['310104', '310101']),
            category: rng.pick(['LABOUR', 'CONTRACT']),
          }),
        },
        { role: 'intake' },
      )
    ).body.errors;
  if (kind === 'import') {
    const inputs = Array.from({ length: rng.int(1, 4) }, () =>
      validSubmission({ channel: 'WINDOW', externalRef: `W-${rng.int(1, 30)}` }),
    );
    return !(await hub.query(MUTATIONS.import, { inputs }, { role: 'intake' })).body.errors;
  }
  const status = {
    dispatch: ['SUBMITTED', 'DISPATCHED'],
    contact: ['DISPATCHED'],
    accept: ['DISPATCHED'],
    reject: ['DISPATCHED'],
    close: ['ACCEPTED'],
    withdraw: ['SUBMITTED', 'DISPATCHED', 'ACCEPTED'],
  }[kind];
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
      const target = await activeInstitution(
        hub,
        row.institution_id ?? undefined,
        row.supervising_unit_id ?? undefined,
      );
      result = await hub.query(
        MUTATIONS.dispatch,
        { id: row.id, to: target.id, v },
        { role: 'supervisor', org: target.unit },
      );
      break;
    }
    case 'contact':
      result = await hub.query(
        MUTATIONS.contact,
        { id: row.id, at: '2026-05-31T00:00:00Z', willing: rng.chance(0.8), v },
        assigned,
      );
      break;
    case 'accept':
      result = await hub.query(MUTATIONS.accept, { id: row.id, v }, assigned);
      break;
    case 'reject':
      result = await hub.query(MUTATIONS.reject, { id: row.id, reason: '不属于受理范围', v }, assigned);
      break;
    case 'close': {
      const resolved = rng.chance(0.6);
      result = await hub.query(
        MUTATIONS.close,
        resolved
          ? { id: row.id, outcome: 'RESOLVED', subject: '双方达成调解协议', v }
          : { id: row.id, outcome: 'UNRESOLVED', remedies: '可申请仲裁', v },
        assigned,
      );
      break;
    }
    case 'withdraw':
      result = await hub.query(MUTATIONS.withdraw, { id: row.id, reason: '申请人撤回', v }, { role: 'intake' });
      break;
  }
  return !result.body.errors;
}
