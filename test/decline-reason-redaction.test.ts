/**
 * A decline reason is free text that may name a party (`@pii(category: OTHER_PRIVATE)` on Referral.declineReason and
 * ReferralEvent.reason): in clear only to the court or commission that declined, to whom handles the case, and to a
 * grantee whose grant covers the case; withheld from everybody else on every path: the gateway's lean path and
 * Apollo's, a referral read alone or reached from its case or its court, and the referrals subgraph called directly.
 * Reached from its case, most of those without clearance get no case row at all (CASE_ROWS in kit/figure-access.ts);
 * the operator and the desk that received the case get the row, and the reason withheld in it.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { applyPlan, operationPrivacy } from '../gateway/redaction-plan.js';
import { piiCoordinates } from '../kit/privacy.js';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { outsiders, caseFixture, leaked, type CaseFixture } from './support/privacy.js';
import { REFERRAL_MUTATIONS } from './support/referrals.js';
import { signInternalToken } from '../kit/internal-token.js';

let hub: Hub;
let c: CaseFixture;
let others: Awaited<ReturnType<typeof outsiders>>;
let referralId: string;
let declinedBy: { role: string; org: string };
/** The intake desk that received the case: it gets the case as a row, but no clearance. */
let desk: string;
let apolloPath: string;
/** The reason the court gave, naming the applicant: what must not leak. */
let reason: string;

beforeAll(async () => {
  hub = await startHub({ cases: 120 });
  const submitted = await hub.knex.referrals('referrals').where('status', 'SUBMITTED').orderBy('seq').first();
  if (!submitted) throw new Error('the demo world has no submitted referral');
  referralId = submitted.id;
  c = await caseFixture(hub, submitted.case_id, submitted.target_id);
  others = await outsiders(hub, c);
  desk = (await hub.knex.cases('cases').where('id', c.id).first()).submitted_by;
  const target = await hub.knex.institutions('institutions').where('id', submitted.target_id).first();
  declinedBy = { role: target.kind === 'COURT' ? 'court' : 'arbitration', org: submitted.target_id };
  reason = `申请人${c.truth.parties[0]!.name}未到庭说明情况`;
  dataOf(
    await hub.query(REFERRAL_MUTATIONS.decline, { id: referralId, reason, v: Number(submitted.version) }, declinedBy),
  );
  apolloPath = await hub.startGateway({ leanPath: false });
});
afterAll(async () => {
  await hub?.close();
});

const ALONE = 'query($r: ID!) { referral(id: $r) { id declineReason history { action reason } } }';
const FROM_CASE = 'query($c: ID!) { case(id: $c) { id referrals { id declineReason history { reason } } } }';
const FROM_COURT =
  'query($t: ID!) { institution(id: $t) { referralsReceived(first: 100, filter: { status: DECLINED }) { edges { node { id r: declineReason ... on Referral { history { reason } } } } } } }';
const LISTED =
  '{ referrals(first: 100, filter: { status: DECLINED }) { edges { node { id ...F } } } } fragment F on Referral { declineReason history { reason } }';

type As = { role: string; org?: string; sub?: string };

async function ask(path: 'lean' | 'apollo', query: string, as: As) {
  const url = path === 'lean' ? hub.urls.gateway : apolloPath;
  const result = await hub.post(
    url,
    { query, variables: { r: referralId, c: c.id, t: declinedBy.org } },
    { authorization: `Bearer ${await hub.token(as.role, as.org, as.sub)}` },
  );
  return dataOf(result);
}

/** Every decline reason in the answer, wherever it appears. */
function reasonsIn(data: unknown): (string | null)[] {
  // The referral's and its DECLINE event's at least.
  const found: (string | null)[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (!value || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'declineReason' || key === 'r' || (key === 'reason' && inner !== undefined))
        found.push(inner as string | null);
      else walk(inner);
    }
  };
  walk(data);
  expect(found.length).toBeGreaterThanOrEqual(2);
  return found;
}
const allWithheld = (data: unknown) => reasonsIn(data).every((r) => r === null);

const outsidersOf = (): [string, As][] => [
  ['an analyst', { role: 'analyst' }],
  ['an admin', { role: 'admin' }],
  ['the desk that received the case', { role: 'intake', sub: desk }],
  ['a steward', { role: 'steward' }],
  ['another institution', { role: 'institution', org: others.institution }],
  ['another supervising unit', { role: 'supervisor', org: others.unit }],
  ['another court', { role: 'court', org: others.court }],
];

describe.each(['lean', 'apollo'] as const)('decline reasons on the %s path', (path) => {
  it.each([
    ['alone', ALONE],
    ['from its court', FROM_COURT],
    ['listed, through a fragment', LISTED],
  ])('are withheld from everybody without clearance: the referral read %s', async (_label, query) => {
    for (const [, as] of outsidersOf()) {
      const data = await ask(path, query, as);
      expect(JSON.stringify(data)).not.toContain(reason);
      expect(allWithheld(data)).toBe(true);
      expect(leaked(c, data)).toEqual([]);
    }
  });

  it('are withheld from everybody without clearance: the referral read from its case, which is a row only to the operator and its desk', async () => {
    const outcomes: [string, string][] = [];
    for (const [label, as] of outsidersOf()) {
      const data = await ask(path, FROM_CASE, as);
      expect(JSON.stringify(data)).not.toContain(reason);
      expect(leaked(c, data)).toEqual([]);
      outcomes.push([
        label,
        data.case === null ? 'no row' : allWithheld(data) ? 'row, reason withheld' : 'row, reason in clear',
      ]);
    }
    expect(outcomes).toEqual([
      ['an analyst', 'no row'],
      ['an admin', 'row, reason withheld'],
      ['the desk that received the case', 'row, reason withheld'],
      ['a steward', 'no row'],
      ['another institution', 'no row'],
      ['another supervising unit', 'no row'],
      ['another court', 'no row'],
    ]);
  });

  it("are in clear for the court that declined, the case's institution and its supervising unit", async () => {
    for (const as of [
      declinedBy,
      { role: 'institution', org: c.institutionId },
      { role: 'supervisor', org: c.supervisingUnitId },
    ]) {
      const data = await ask(path, ALONE, as);
      expect([data.referral.declineReason, data.referral.history.at(-1)]).toEqual([
        reason,
        { action: 'DECLINE', reason },
      ]);
    }
    const fromCase = await ask(path, FROM_CASE, { role: 'institution', org: c.institutionId });
    expect(fromCase.case.referrals.find((r: any) => r.id === referralId).declineReason).toBe(reason);
  });
});

describe('decline reasons and consent', () => {
  it('open to a grant for OTHER_PRIVATE covering the case, and to no other grant', async () => {
    const grantOf = async (categories: string[]) =>
      dataOf(
        await hub.query(
          `mutation($cats: [PiiCategory!]!, $case: ID!, $at: DateTime!) {
      grantDataAccess(grantee: "test-analyst", categories: $cats, purpose: "referral review", scope: { caseId: $case }, expiresAt: $at) { id status } }`,
          { cats: categories, case: c.id, at: new Date(Date.now() + 3_600_000).toISOString() },
          { role: 'steward' },
        ),
      ).grantDataAccess;
    const revoke = (id: string) =>
      hub.query('mutation($id: ID!) { revokeDataAccess(id: $id) { id } }', { id }, { role: 'steward' });
    const names = await grantOf(['NAME']);
    for (const path of ['lean', 'apollo'] as const)
      expect(allWithheld(await ask(path, ALONE, { role: 'analyst' }))).toBe(true);
    await revoke(names.id);
    const grant = await grantOf(['OTHER_PRIVATE']);
    expect(grant.status).toBe('IN_FORCE');
    for (const path of ['lean', 'apollo'] as const) {
      const data = await ask(path, LISTED, { role: 'analyst' });
      const own = data.referrals.edges.find((e: any) => e.node.id === referralId).node;
      expect(own.declineReason).toBe(reason);
      // The seeded declined referrals of other cases stay withheld: the grant covers one case.
      const rest = data.referrals.edges
        .filter((e: any) => e.node.id !== referralId)
        .map((e: any) => e.node.declineReason);
      expect(rest.length).toBeGreaterThan(0);
      expect(rest.every((r: string | null) => r === null)).toBe(true);
    }
    await revoke(grant.id);
  });
});

describe('the referrals subgraph called directly', () => {
  it("withholds the reason from an analyst's and another court's internal token, and audits in the cases subgraph", async () => {
    for (const principal of [
      { sub: 'router-analyst', role: 'analyst' },
      { sub: 'router-court', role: 'court', org: others.court },
    ] as const) {
      const token = await signInternalToken(principal, hub.config.internalSecret);
      const result = await hub.post(
        hub.urls.referrals,
        { query: ALONE, variables: { r: referralId } },
        { authorization: `Bearer ${token}` },
      );
      expect(allWithheld(dataOf(result))).toBe(true);
    }
    const withheld = await hub.knex.cases('audit_events').where({ principal: 'router-analyst', decision: 'WITHHELD' });
    expect(withheld.map((e: any) => [e.categories, JSON.parse(e.case_ids)])).toEqual([['OTHER_PRIVATE', [c.id]]]);
  });

  it("shows it to the case's institution, and the cases subgraph audits that clear read", async () => {
    const token = await signInternalToken(
      { sub: 'router-institution', role: 'institution', org: c.institutionId },
      hub.config.internalSecret,
    );
    const result = await hub.post(
      hub.urls.referrals,
      { query: ALONE, variables: { r: referralId } },
      { authorization: `Bearer ${token}` },
    );
    expect(dataOf(result).referral.declineReason).toBe(reason);
    const clear = await hub.knex.cases('audit_events').where({ principal: 'router-institution', decision: 'CLEAR' });
    expect(clear.map((e: any) => [e.categories, JSON.parse(e.case_ids)])).toEqual([['OTHER_PRIVATE', [c.id]]]);
  });
});

describe("the gateway's second line", () => {
  it('nulls a decline reason a subgraph sent in clear, for a principal whose grants do not name OTHER_PRIVATE', () => {
    const supergraph = fs.readFileSync(new URL('../schema/supergraph.graphql', import.meta.url), 'utf8');
    const schema = buildSchema(supergraph, { assumeValidSDL: true });
    const document = parse(FROM_CASE);
    const { plan } = operationPrivacy(
      schema,
      document,
      document.definitions[0] as OperationDefinitionNode,
      piiCoordinates(parse(supergraph)),
    );
    const data = {
      case: {
        id: 'x',
        referrals: [
          { id: 'r', declineReason: '申请人张三未到庭', history: [{ reason: null }, { reason: '申请人张三未到庭' }] },
        ],
      },
    };
    const withheld = applyPlan(data, plan, (category) => category !== 'NAME');
    expect(data.case.referrals).toEqual([
      { id: 'r', declineReason: null, history: [{ reason: null }, { reason: null }] },
    ]);
    expect(Object.fromEntries(withheld)).toEqual({ OTHER_PRIVATE: 2 });
  });
});
