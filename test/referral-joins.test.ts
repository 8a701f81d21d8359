import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { signInternalToken } from '../kit/internal-token.js';
import { caseSupply, REFERRAL_MUTATIONS as M, targets } from './support/referrals.js';

let hub: Hub;
// Figures computed for every request: these tests count the statements that compute them (test/referral-figures-cache.test.ts
// and test/gateway-kept-answers.test.ts cover kept ones).
beforeAll(async () => {
  hub = await startHub({ cases: 600, keptReads: false, keptAnswers: false });
});
afterAll(async () => {
  await hub?.close();
});

const PERIOD = { from: '2020-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z' };

/** The figures, computed here from the referrals store's rows: what referralStats must say. */
/** Rows as sqlite gives them: instants as ISO text (PostgreSQL's driver gives Date objects, which sort as text by weekday). */
const asText = (rows: any[]): any[] =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])));

function expectedStats(rows: any[]) {
  const decided = rows.filter((r) => r.status === 'DECIDED');
  const days = decided
    .map((r) => (Date.parse(r.decided_at) - Date.parse(r.submitted_at)) / 86_400_000)
    .sort((a, b) => a - b);
  const mid = days.length >> 1;
  const median = days.length === 0 ? null : days.length % 2 ? days[mid]! : (days[mid - 1]! + days[mid]!) / 2;
  const byResult = new Map<string, number>();
  for (const r of decided) byResult.set(r.result, (byResult.get(r.result) ?? 0) + 1);
  return {
    received: rows.length,
    accepted: rows.filter((r) => r.accepted_at).length,
    declined: rows.filter((r) => r.status === 'DECLINED').length,
    decided: decided.length,
    decidedByResult: [...byResult].sort(([a], [b]) => a.localeCompare(b)).map(([result, count]) => ({ result, count })),
    medianDaysToDecision: median === null ? null : Math.round(median * 100) / 100,
  };
}

const STATS = 'received accepted declined decided decidedByResult { result count } medianDaysToDecision';

describe("a case's whole journey, and a court's desk, in one federated query", () => {
  it('joins case → institution, referrals → target and requester, and the target → its received referrals and figures', async () => {
    const take = caseSupply(hub);
    const [c] = await take('RESOLVED');
    const [court] = await targets(hub, ['COURT']);
    const referral = dataOf(
      await hub.query(
        M.request,
        { caseId: c!.id, kind: 'JUDICIAL_CONFIRMATION', targetId: court },
        { role: 'institution', org: c!.institutionId },
      ),
    ).requestReferral;
    dataOf(await hub.query(M.accept, { id: referral.id, v: 1 }, { role: 'court', org: court }));

    const data = dataOf(
      await hub.query(
        `query($id: ID!, $from: DateTime!, $to: DateTime!) { case(id: $id) {
      id status institution { id name supervisingUnit { id } } outcomeConfirmed
      referrals { id kind status history { action actorRole } requestedBy { id name } target { id name kind
        referralsReceived(first: 500, filter: { status: ACCEPTED }) { totalCount edges { node { id case { id status } } } }
        referralStats(from: $from, to: $to) { ${STATS} } } } } }`,
        { id: c!.id, ...PERIOD },
      ),
    );
    const journey = data.case;
    expect(journey).toMatchObject({
      id: c!.id,
      status: 'RESOLVED',
      institution: { id: c!.institutionId },
      outcomeConfirmed: false,
    });
    const mine = journey.referrals.find((r: any) => r.id === referral.id);
    expect(mine).toMatchObject({
      kind: 'JUDICIAL_CONFIRMATION',
      status: 'ACCEPTED',
      requestedBy: { id: c!.institutionId, name: journey.institution.name },
      target: { id: court, kind: 'COURT' },
    });
    expect(mine.history.map((e: any) => e.action)).toEqual(['REQUEST', 'ACCEPT']);
    expect(mine.target.referralsReceived.edges.map((e: any) => e.node.id)).toContain(referral.id);
    for (const e of mine.target.referralsReceived.edges)
      expect(['RESOLVED', 'UNRESOLVED']).toContain(e.node.case.status);
    const rows = asText(
      await hub.knex
        .referrals('referrals')
        .where('target_id', court)
        .where('submitted_at', '>=', '2020-01-01T00:00:00.000Z'),
    );
    expect(mine.target.referralStats).toEqual(expectedStats(rows));
    expect(mine.target.referralStats.received).toBeGreaterThan(1);
  });

  it('counts received referrals the same when a dashboard asks for totalCount alone, in one statement without a page', async () => {
    const filter = '(first: 1, filter: { status: ACCEPTED })';
    const withPage = dataOf(
      await hub.query(
        `{ institutions(first: 100) { edges { node { id referralsReceived${filter} { totalCount edges { node { id } } } } } } }`,
      ),
    );
    hub.counters.referrals.reset();
    const alone = dataOf(
      await hub.query(
        `{ institutions(first: 100) { edges { node { id referralsReceived${filter} { __typename totalCount } } } } }`,
      ),
    );
    expect(hub.counters.referrals.count()).toBe(1);
    const counts = (data: any) =>
      data.institutions.edges.map((e: any) => [e.node.id, e.node.referralsReceived.totalCount]);
    expect(counts(alone)).toEqual(counts(withPage));
    expect(counts(alone).some(([, n]: [string, number]) => n > 0)).toBe(true);
  });

  it('computes referralStats for every court and commission of a page in one statement, and per period', async () => {
    const query = `query($from: DateTime!, $to: DateTime!) { institutions(first: 100) { edges { node { id kind referralStats(from: $from, to: $to) { ${STATS} } } } } }`;
    hub.counters.referrals.reset();
    const data = dataOf(await hub.query(query, PERIOD));
    expect(hub.counters.referrals.count()).toBe(1);
    const nodes = data.institutions.edges.map((e: any) => e.node);
    const rows = asText(await hub.knex.referrals('referrals'));
    let withReferrals = 0;
    for (const node of nodes) {
      const own = rows.filter((r) => r.target_id === node.id);
      expect(node.referralStats).toEqual(expectedStats(own));
      if (own.length) withReferrals++;
    }
    expect(withReferrals).toBeGreaterThan(3);

    // A narrower period: only referrals submitted in it count.
    const sorted = rows.map((r) => r.submitted_at).sort();
    const from = sorted[Math.floor(sorted.length / 2)];
    const to = new Date(Date.parse(sorted.at(-1)) + 1).toISOString();
    const half = dataOf(await hub.query(query, { from, to }));
    for (const e of half.institutions.edges) {
      const own = rows.filter((r) => r.target_id === e.node.id && r.submitted_at >= from && r.submitted_at < to);
      expect(e.node.referralStats).toEqual(expectedStats(own));
    }
  });

  it('counts referralStats asked without the median in SQL: the same figures, in one statement', async () => {
    const counted = 'received accepted declined decided decidedByResult { result count }';
    const query = `query($from: DateTime!, $to: DateTime!) { institutions(first: 100) { edges { node { id referralStats(from: $from, to: $to) { ${counted} } } } } }`;
    const rows = asText(await hub.knex.referrals('referrals'));
    const sorted = rows.map((r) => r.submitted_at).sort();
    for (const period of [
      PERIOD,
      { from: sorted[Math.floor(sorted.length / 3)], to: sorted[Math.floor((2 * sorted.length) / 3)] },
    ]) {
      hub.counters.referrals.reset();
      const data = dataOf(await hub.query(query, period));
      expect(hub.counters.referrals.count()).toBe(1);
      let withReferrals = 0;
      for (const e of data.institutions.edges) {
        const own = rows.filter(
          (r) => r.target_id === e.node.id && r.submitted_at >= period.from && r.submitted_at < period.to,
        );
        const { medianDaysToDecision: _median, ...expected } = expectedStats(own);
        expect(e.node.referralStats).toEqual(expected);
        if (own.length) withReferrals++;
      }
      expect(withReferrals).toBeGreaterThan(1);
    }
  });

  it('refuses a period that ends before it starts, naming the argument', async () => {
    const result = await hub.query(
      `{ institutions(first: 1) { edges { node { referralStats(from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z") { received } } } } }`,
    );
    expect(result.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
  });
});

describe("referralTargetsOf, for the cases registry's redaction rule", () => {
  it("answers a subgraph's direct call with the courts and commissions handling each case (not those that declined)", async () => {
    const rows = await hub.knex.referrals('referrals').orderBy('seq').limit(30);
    const caseIds = [...new Set(rows.map((r) => r.case_id)), 'NO-SUCH-CASE'];
    const token = await signInternalToken({ sub: 'cases-subgraph', role: 'admin' }, hub.config.internalSecret);
    const result = await hub.post(
      hub.urls.referrals,
      {
        query: 'query($ids: [ID!]!) { referralTargetsOf(caseIds: $ids) { caseId targetIds } }',
        variables: { ids: caseIds },
      },
      { authorization: `Bearer ${token}` },
    );
    const answer = result.body.data.referralTargetsOf;
    expect(answer.map((a: any) => a.caseId)).toEqual(caseIds);
    for (const a of answer) {
      const expected = [
        ...new Set(
          (await hub.knex.referrals('referrals').where('case_id', a.caseId).whereNot('status', 'DECLINED')).map(
            (r) => r.target_id,
          ),
        ),
      ].sort();
      expect([...a.targetIds].sort()).toEqual(expected);
    }
    expect(answer.at(-1)).toEqual({ caseId: 'NO-SUCH-CASE', targetIds: [] });
  });

  it("is not part of the gateway's schema", async () => {
    const result = await hub.query('{ referralTargetsOf(caseIds: ["x"]) { caseId } }');
    expect(codesOf(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});
