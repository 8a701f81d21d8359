/**
 * Every field one office contributes to another office's type is nullable, so when that office does not answer only
 * its fields are null: the rest of the answer is served, with a SUBGRAPH_UNAVAILABLE error naming the office and
 * the field's path. Each case runs through a gateway whose URL for one subgraph has nothing listening behind it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../gateway/service.js';
import { createLogger } from '../kit/log.js';
import { freePort } from '../scripts/processes.js';
import { startHub, type Hub } from './support/hub.js';

type Office = 'cases' | 'institutions' | 'referrals';
let hub: Hub;
const gateways = new Map<Office, RunningGateway>();
let ids: { caseId: string; courtId: string; referralId: string };

beforeAll(async () => {
  hub = await startHub({ cases: 200, keptAnswers: false });
  const silent = createLogger('gateway', 'fatal');
  for (const office of ['cases', 'institutions', 'referrals'] as const) {
    const subgraphUrls = {
      ...hub.config.subgraphUrls,
      [office]: `http://127.0.0.1:${await freePort()}/graphql` /* nothing listens there */,
    };
    gateways.set(office, await startGateway({ ...hub.config, subgraphUrls }, silent));
  }
  const referral = await hub.knex.referrals('referrals').orderBy('seq').first('id', 'case_id', 'target_id');
  ids = { caseId: referral.case_id, courtId: referral.target_id, referralId: referral.id };
});
afterAll(async () => {
  await Promise.all([...gateways.values()].map((g) => g.close()));
  await hub?.close();
});

/** The query through the gateway that cannot reach `down`, as the admin. */
async function withDown(down: Office, query: string, variables: Record<string, unknown> = {}) {
  const result = await hub.post(
    gateways.get(down)!.url,
    { query, variables },
    { authorization: `Bearer ${await hub.token('admin')}` },
  );
  return {
    status: result.status,
    data: result.body.data,
    errors: (result.body.errors ?? []).map((e) => ({
      path: e.path,
      code: e.extensions?.code,
      subgraph: e.extensions?.subgraph,
    })),
  };
}

const unavailable = (subgraph: Office, path: (string | number)[]) => ({ path, code: 'SUBGRAPH_UNAVAILABLE', subgraph });
/** Errors of fetches that ran side by side, in a fixed order. */
const sortedByPath = <T extends { path?: unknown }>(errors: T[]) =>
  [...errors].sort((a, b) => String(a.path).localeCompare(String(b.path)));

describe('with the referrals subgraph down', () => {
  it('Case.referrals is null; the case itself is served', async () => {
    const result = await withDown('referrals', 'query($id: ID!) { case(id: $id) { id status referrals { id } } }', {
      id: ids.caseId,
    });
    expect(result.data).toEqual({ case: { id: ids.caseId, status: expect.any(String), referrals: null } });
    expect(result.errors).toEqual([unavailable('referrals', ['case', 'referrals'])]);
  });

  it("Case.referrals on a page of cases: every case is served with null referrals, the first one's path named", async () => {
    const result = await withDown('referrals', '{ cases(first: 2) { edges { node { id referrals { id } } } } }');
    expect(result.data.cases.edges).toEqual([
      { node: { id: expect.any(String), referrals: null } },
      { node: { id: expect.any(String), referrals: null } },
    ]);
    expect(result.errors).toEqual([unavailable('referrals', ['cases', 'edges', 0, 'node', 'referrals'])]);
  });

  it('Case.outcomeConfirmed is null', async () => {
    const result = await withDown('referrals', 'query($id: ID!) { case(id: $id) { id outcomeConfirmed } }', {
      id: ids.caseId,
    });
    expect(result.data).toEqual({ case: { id: ids.caseId, outcomeConfirmed: null } });
    expect(result.errors).toEqual([unavailable('referrals', ['case', 'outcomeConfirmed'])]);
  });

  it('Institution.referralsReceived is null; the institution is served', async () => {
    const result = await withDown(
      'referrals',
      'query($id: ID!) { institution(id: $id) { id name referralsReceived(first: 2) { totalCount } } }',
      { id: ids.courtId },
    );
    expect(result.data).toEqual({
      institution: { id: ids.courtId, name: expect.any(String), referralsReceived: null },
    });
    expect(result.errors).toEqual([unavailable('referrals', ['institution', 'referralsReceived'])]);
  });

  it('Institution.referralStats is null', async () => {
    const result = await withDown(
      'referrals',
      'query($id: ID!) { institution(id: $id) { id referralStats(from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z") { received } } }',
      { id: ids.courtId },
    );
    expect(result.data).toEqual({ institution: { id: ids.courtId, referralStats: null } });
    expect(result.errors).toEqual([unavailable('referrals', ['institution', 'referralStats'])]);
  });

  it("a root field of its own is null, and the other offices' root fields in the same request are served", async () => {
    const result = await withDown('referrals', 'query($id: ID!) { referral(id: $id) { id } districts { code } }', {
      id: ids.referralId,
    });
    expect(result.data.referral).toBeNull();
    expect(result.data.districts.length).toBeGreaterThan(0);
    expect(result.errors).toEqual([unavailable('referrals', ['referral'])]);
  });
});

describe('with the cases subgraph down', () => {
  it('Institution.cases is null; the institution is served', async () => {
    const result = await withDown(
      'cases',
      'query($id: ID!) { institution(id: $id) { id name cases(first: 2) { totalCount } } }',
      { id: ids.courtId },
    );
    expect(result.data).toEqual({ institution: { id: ids.courtId, name: expect.any(String), cases: null } });
    expect(result.errors).toEqual([unavailable('cases', ['institution', 'cases'])]);
  });

  it('Institution.caseStats is null', async () => {
    const result = await withDown('cases', 'query($id: ID!) { institution(id: $id) { id caseStats { received } } }', {
      id: ids.courtId,
    });
    expect(result.data).toEqual({ institution: { id: ids.courtId, caseStats: null } });
    expect(result.errors).toEqual([unavailable('cases', ['institution', 'caseStats'])]);
  });

  it('Referral.case is null when its fields come from the cases subgraph; the referral is served', async () => {
    const result = await withDown('cases', 'query($id: ID!) { referral(id: $id) { id kind case { id status } } }', {
      id: ids.referralId,
    });
    expect(result.data).toEqual({ referral: { id: ids.referralId, kind: expect.any(String), case: null } });
    expect(result.errors).toEqual([unavailable('cases', ['referral', 'case', 'status'])]);
  });
});

describe('with the institutions subgraph down', () => {
  it('Case.institution and Case.supervisingUnit are null; the case is served', async () => {
    const result = await withDown(
      'institutions',
      'query($id: ID!) { case(id: $id) { id status institution { name } supervisingUnit { name } } }',
      { id: ids.caseId },
    );
    expect(result.data).toEqual({
      case: { id: ids.caseId, status: expect.any(String), institution: null, supervisingUnit: null },
    });
    expect(sortedByPath(result.errors)).toEqual([
      unavailable('institutions', ['case', 'institution', 'name']),
      unavailable('institutions', ['case', 'supervisingUnit', 'name']),
    ]);
  });

  it('Referral.target and Referral.requestedBy are null; the referral is served', async () => {
    const result = await withDown(
      'institutions',
      'query($id: ID!) { referral(id: $id) { id kind target { name } requestedBy { name } } }',
      { id: ids.referralId },
    );
    expect(result.data).toEqual({
      referral: { id: ids.referralId, kind: expect.any(String), target: null, requestedBy: null },
    });
    expect(sortedByPath(result.errors)).toEqual([
      unavailable('institutions', ['referral', 'requestedBy', 'name']),
      unavailable('institutions', ['referral', 'target', 'name']),
    ]);
  });
});
