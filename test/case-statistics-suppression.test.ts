/**
 * Small-cell suppression, attacked: an analyst tries to recover withheld cells by differencing overlapping queries
 * (a district total minus all but one institution, a total minus a refinement of it); institutions and supervisors
 * see their own scope in full, and their figures do not open other offices' small cells either.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { Random } from '../seed/random.js';
import { writeCaseBatch, type CaseSeed } from '../subgraphs/cases/seed-writer.js';
import { profileNamed } from '../subgraphs/cases/deadlines/deadlines.js';

let hub: Hub;
const THRESHOLD = 5;

/**
 * A world dense enough that cells of every size occur: 3,000 cases over 3 months, 3 districts, 4 categories,
 * both channels and every status, spread unevenly over a few institutions of each district.
 */
async function denseWorld() {
  const rng = new Random(5150);
  const institutions = await hub.knex.institutions('institutions').whereIn('district', ['310104', '310101', '310115'])
    .whereNotNull('supervising_unit_id').where('status', 'ACTIVE').select('id', 'district', 'supervising_unit_id');
  const statuses = { SUBMITTED: 3, DISPATCHED: 4, ACCEPTED: 6, REJECTED: 5, RESOLVED: 40, UNRESOLVED: 15, WITHDRAWN: 2 };
  const cases: CaseSeed[] = [];
  for (let seq = 1; seq <= 3000; seq++) {
    const status = rng.weighted(statuses);
    const district = seq <= 3 ? '310104' : rng.pick(['310104', '310101', '310115']);
    // Skewed: the first institutions of a district get most cases, the last only a few; the very last of Xuhui's
    // gets just three (cases 1 to 3).
    const local = institutions.filter((i: any) => i.district === district).slice(0, -1);
    const small = institutions.filter((i: any) => i.district === '310104').at(-1);
    const picked = local[Math.min(local.length - 1, Math.floor(rng.next() ** 3 * local.length))];
    const institution = seq <= 3 ? small : status === 'SUBMITTED' ? null : picked;
    const submitted = Date.parse(rng.pick(['2026-01-10', '2026-02-10', '2026-03-10'])) + rng.int(0, 400) * 3_600_000;
    const at = (hours: number) => new Date(submitted + hours * 3_600_000).toISOString();
    const dispatched = institution ? at(rng.int(1, 30)) : null;
    const accepted = ['ACCEPTED', 'RESOLVED', 'UNRESOLVED'].includes(status) ? at(rng.int(31, 90)) : null;
    const closed = ['RESOLVED', 'UNRESOLVED'].includes(status) ? at(rng.int(100, 1200)) : ['REJECTED', 'WITHDRAWN'].includes(status) ? at(95) : null;
    cases.push({
      seq, id: `310000-2026-${String(seq).padStart(7, '0')}`, status, category: rng.pick(['LABOUR', 'CONTRACT', 'NEIGHBOURS', 'CONSUMER']),
      channel: rng.chance(0.7) ? 'ONLINE' : 'WINDOW', district, externalRef: null, submittedAt: at(0), dispatchedAt: dispatched, acceptedAt: accepted, closedAt: closed,
      occurredAt: null, place: null, claims: '诉求', description: null, agreementSubject: null, remedies: null, rejectionReason: null,
      institutionId: institution?.id ?? null, supervisingUnitId: institution?.supervising_unit_id ?? null, respondentContactedAt: null, respondentWilling: null, version: 1,
      parties: [], events: [{ at: at(0), action: 'SUBMIT', actor: 'portal', actorRole: 'intake', fromStatus: null, toStatus: 'SUBMITTED', reason: null }],
    });
  }
  await writeCaseBatch(hub.knex.cases, cases, profileNamed('shanghai'));
}

beforeAll(async () => {
  hub = await startHub({ cases: 0, institutions: 300, clock: () => new Date('2026-11-02T00:00:00Z') });
  await denseWorld();
});
afterAll(async () => { await hub?.close(); });

const ANALYST = { role: 'analyst' };
const FIGURES = 'suppressed received accepted resolved unresolved rejected withdrawn open overdueNow';

async function stats(filter: Record<string, string>, groupBy: string[] = [], as: { role: string; org?: string } = ANALYST) {
  const args = Object.entries(filter).map(([k, v]) => `${k}: ${/^[A-Z_]+$/.test(v) ? v : JSON.stringify(v)}`).join(', ');
  return dataOf(await hub.query(`{ caseStats(filter: { ${args} }, groupBy: [${groupBy.join(', ')}]) { institution { id } channel category month status ${FIGURES} } }`, {}, as)).caseStats as any[];
}

/** True counts of the raw rows (what an attacker wants to learn). */
async function trueCount(where: Record<string, string>) {
  const row = await hub.knex.cases('cases').where(where).count({ n: '*' }).first();
  return Number(row!.n);
}

describe('small-cell suppression against differencing', () => {
  it('a district total minus every other institution recovers nothing of a withheld institution', async () => {
    const district = '310104';
    const [total] = await stats({ district });
    const rows = await stats({ district }, ['INSTITUTION']);
    const withheld = rows.filter((r) => r.suppressed && r.received === null && r.institution);
    expect(withheld.length).toBeGreaterThan(0);
    for (const target of withheld) {
      const others = rows.filter((r) => r !== target).reduce((sum, r) => sum + (r.received ?? 0), 0);
      const recovered = total.received - others;
      const actual = await trueCount({ district, institution_id: target.institution.id });
      expect(actual).toBeGreaterThan(0);
      // The difference is exactly what the rows show (nothing): the withheld cases are in no published figure.
      expect(recovered).toBe(0);
      expect(recovered).not.toBe(actual);
    }
  });

  it('every published count, and every difference between a query and a refinement of it, is 0 or at least the threshold', async () => {
    const rng = new Random(77);
    const months = ['2026-01', '2026-02', '2026-03'];
    const dimensions = ['INSTITUTION', 'SUPERVISING_UNIT', 'DISTRICT', 'CATEGORY', 'CHANNEL', 'MONTH', 'STATUS'];
    const refinements: Record<string, () => string> = {
      category: () => rng.pick(['LABOUR', 'CONTRACT', 'NEIGHBOURS', 'MARRIAGE_FAMILY', 'CONSUMER']),
      channel: () => rng.pick(['ONLINE', 'WINDOW']),
      district: () => rng.pick(['310104', '310101', '310115']),
      to: () => rng.pick(months),
      from: () => rng.pick(months),
    };
    let published = 0;
    for (let i = 0; i < 40; i++) {
      const base: Record<string, string> = {};
      for (const [key, pick] of Object.entries(refinements)) if (rng.chance(0.3)) base[key] = pick();
      const free = Object.keys(refinements).filter((k) => !(k in base));
      if (free.length === 0) continue;
      const extra = rng.pick(free);
      const refined = { ...base, [extra]: refinements[extra]!() };
      if ((refined.from ?? '0') > (refined.to ?? '9')) continue;
      const groupBy = rng.chance(0.5) ? [rng.pick(dimensions)] : [];
      const [wide] = await stats(base);
      const [narrow] = await stats(refined);
      for (const value of [wide.received, narrow.received]) if (value !== null) expect(value === 0 || value >= THRESHOLD).toBe(true);
      const difference = (wide.received ?? 0) - (narrow.received ?? 0);
      expect(difference === 0 || difference >= THRESHOLD).toBe(true);
      // Grouped answers are consistent with the total: their sum is the total, so summing them reveals nothing more.
      const groups = await stats(base, groupBy);
      for (const g of groups) {
        for (const figure of ['received', 'resolved', 'unresolved', 'rejected', 'withdrawn', 'open']) if (g[figure] !== null && groupBy[0] === 'STATUS') expect(g[figure] === 0 || g[figure] >= THRESHOLD).toBe(true);
        if (g.received !== null) { expect(g.received === 0 || g.received >= THRESHOLD).toBe(true); published++; }
      }
      expect(groups.reduce((sum, g) => sum + (g.received ?? 0), 0)).toBe(wide.received ?? 0);
    }
    expect(published).toBeGreaterThan(20);
  });

  it('shows an institution its own cases in full, and no more of anybody else\'s than an analyst sees', async () => {
    const [own] = (await hub.knex.cases('cases').whereNotNull('institution_id').groupBy('institution_id').select('institution_id as id', 'district').count({ n: '*' }).having(hub.knex.cases.raw('count(*) between 1 and 4'))) as any[];
    if (!own) throw new Error('the demo world has no institution with fewer than 5 cases');
    const as = { role: 'institution', org: own.id };
    const [mine] = await stats({ institutionId: own.id }, [], as);
    expect(mine.received).toBe(Number(own.n));
    expect(mine.suppressed).toBe(false);
    const [analystView] = await stats({ institutionId: own.id });
    expect(analystView.received).toBeNull();
    // Its district total counts its own cases plus only publishable cells of others: minus its own, the rest is 0 or ≥ 5.
    const [districtAsOwn] = await stats({ district: own.district }, [], as);
    const [districtAsAnalyst] = await stats({ district: own.district });
    const othersSeen = districtAsOwn.received - Number(own.n);
    expect(othersSeen === 0 || othersSeen >= THRESHOLD).toBe(true);
    // Exactly the other offices' cells the analyst sees too.
    expect(othersSeen).toBe(districtAsAnalyst.received - (analystView.received ?? 0));
  });

  it('shows a supervising unit the institutions it dispatched to in full', async () => {
    const unit = (await hub.knex.cases('cases').whereNotNull('supervising_unit_id').first()).supervising_unit_id;
    const rows = await stats({ supervisingUnitId: unit }, ['INSTITUTION'], { role: 'supervisor', org: unit });
    for (const row of rows) {
      expect(row.suppressed).toBe(false);
      expect(row.received).toBe(await trueCount({ supervising_unit_id: unit, institution_id: row.institution.id }));
    }
  });
});
