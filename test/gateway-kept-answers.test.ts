/**
 * The gateway keeps whole answers to statistics and registry queries (gateway/kept-answers.ts) only while they are
 * right: asked again, an answer costs each subgraph one read of its generation, and the next answer after a case, a
 * registry or a referral write, or after a due time passes, is computed afresh. Answers are never shared between
 * principals, operations with any other field are never kept, and no field an answer may be kept for is party data.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { MUTATIONS } from './support/cases.js';
import { activeInstitutions, REGISTRY, supervisor } from './support/registry.js';
import { caseSupply, REFERRAL_MUTATIONS, targets } from './support/referrals.js';
import { DASHBOARD_QUERY, dashboardVariables } from '../bench/load/dashboard-query.js';
import { KEPT_FIELDS } from '../gateway/kept-answers.js';
import { SUPERGRAPH_FILE } from '../gateway/service.js';
import { piiCoordinates } from '../kit/privacy.js';
import { signInternalToken } from '../kit/internal-token.js';

let hub: Hub;
let now = new Date('2026-11-02T00:00:00Z');
beforeAll(async () => {
  hub = await startHub({ cases: 600, institutions: 60, clock: () => now });
});
afterAll(async () => {
  await hub?.close();
});

const ANALYST = { role: 'analyst' };

/** Asks twice and returns both answers and the statements each subgraph ran for the second. */
async function twice(
  query: string,
  variables: Record<string, unknown>,
  as: { role: string; org?: string; sub?: string },
) {
  const first = await hub.query(query, variables, as);
  for (const counter of Object.values(hub.counters)) counter.reset();
  const second = await hub.query(query, variables, as);
  return { first: dataOf(first), second: dataOf(second), statements: statementsSinceReset() };
}

function statementsSinceReset() {
  return {
    cases: hub.counters.cases.count(),
    institutions: hub.counters.institutions.count(),
    referrals: hub.counters.referrals.count(),
  };
}

async function ask(
  query: string,
  variables: Record<string, unknown>,
  as: { role: string; org?: string; sub?: string },
) {
  for (const counter of Object.values(hub.counters)) counter.reset();
  const data = dataOf(await hub.query(query, variables, as));
  return { data, statements: statementsSinceReset() };
}

describe('kept answers', () => {
  it("serve the reference dashboard again for one read of each subgraph's generation", async () => {
    const district = (
      await hub.knex
        .institutions('institutions')
        .where('status', 'ACTIVE')
        .groupBy('district')
        .orderByRaw('count(*) desc')
        .first('district')
    ).district;
    const variables = dashboardVariables(district, { from: '2025-11', to: '2026-10' });
    const { first, second, statements } = await twice(DASHBOARD_QUERY, variables, ANALYST);
    expect(second).toEqual(first);
    expect(first.institutions.edges.length).toBeGreaterThan(1);
    expect(statements).toEqual({ cases: 1, institutions: 1, referrals: 1 });
  });

  it('show a case change in the next answer', async () => {
    const row = await hub.knex
      .cases('cases')
      .where('status', 'ACCEPTED')
      .where((q) => q.whereNull('respondent_willing').orWhere('respondent_willing', true))
      .orderBy('seq')
      .first();
    const as = { role: 'institution', org: row.institution_id };
    const query = `query($id: ID!) { caseStats(filter: { institutionId: $id }, groupBy: [STATUS]) { status received } }`;
    const { first, statements } = await twice(query, { id: row.institution_id }, as);
    expect(statements.cases).toBe(1);
    dataOf(
      await hub.query(
        MUTATIONS.close,
        { id: row.id, outcome: 'RESOLVED', subject: '达成调解协议', v: row.version },
        as,
      ),
    );
    const after = await ask(query, { id: row.institution_id }, as);
    const count = (rows: any[], status: string) => rows.find((r) => r.status === status)?.received ?? 0;
    expect(count(after.data.caseStats, 'RESOLVED')).toBe(count(first.caseStats, 'RESOLVED') + 1);
    expect(count(after.data.caseStats, 'ACCEPTED')).toBe(count(first.caseStats, 'ACCEPTED') - 1);
  });

  it('show an approved registry change in the next answer', async () => {
    const [target] = await activeInstitutions(hub, 1);
    const { district } = await hub.knex.institutions('institutions').where('id', target!.id).first('district');
    const query = `query($district: String!) { institutions(first: 500, filter: { district: $district, status: ACTIVE }) { totalCount edges { node { id name } } } }`;
    const { first, statements } = await twice(query, { district }, ANALYST);
    expect(statements.institutions).toBe(1);
    const filed = dataOf(
      await hub.query(
        REGISTRY.request,
        { input: { kind: 'SUSPEND', institutionId: target!.id, reason: '投诉查实，暂停接收办件' } },
        supervisor(target!.unit),
      ),
    ).requestInstitutionChange;
    dataOf(
      await hub.query(REGISTRY.decide, { id: filed.id, decision: 'APPROVE', note: '同意暂停' }, { role: 'admin' }),
    );
    const after = await ask(query, { district }, ANALYST);
    expect(after.data.institutions.totalCount).toBe(first.institutions.totalCount - 1);
    expect(after.data.institutions.edges.map((e: any) => e.node.id)).not.toContain(target!.id);
  });

  it('show a referral write in the next answer', async () => {
    const [court] = await targets(hub, ['COURT']);
    const { district } = await hub.knex.institutions('institutions').where('id', court).first('district');
    const query = `query($district: String!, $from: DateTime!, $to: DateTime!) { institutions(first: 500, filter: { district: $district }) {
      edges { node { id referralStats(from: $from, to: $to) { received } } } } }`;
    const variables = { district, from: '2020-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z' };
    const receivedBy = (data: any) =>
      data.institutions.edges.find((e: any) => e.node.id === court).node.referralStats.received;
    const { first, statements } = await twice(query, variables, ANALYST);
    expect(statements.referrals).toBe(1);
    const [c] = await caseSupply(hub)('RESOLVED');
    dataOf(
      await hub.query(
        REFERRAL_MUTATIONS.request,
        { caseId: c!.id, kind: 'JUDICIAL_CONFIRMATION', targetId: court },
        { role: 'institution', org: c!.institutionId },
      ),
    );
    expect(receivedBy((await ask(query, variables, ANALYST)).data)).toBe(receivedBy(first) + 1);
  });

  it('count a case overdue once its due time passes, with nothing written', async () => {
    const running = await hub.knex
      .cases('case_stats_running')
      .whereNot('institution_id', '')
      .where('due_at', '>', now.toISOString())
      .orderBy('due_at')
      .first();
    expect(running).toBeDefined();
    const as = { role: 'institution', org: String(running.institution_id) };
    const query = `query($id: ID!) { caseStats(filter: { institutionId: $id }) { overdueNow } }`;
    const { first, statements } = await twice(query, { id: running.institution_id }, as);
    expect(statements.cases).toBe(1);
    now = new Date(Date.parse(String(running.due_at)) + 60_000);
    const after = await ask(query, { id: running.institution_id }, as);
    expect(after.statements.cases).toBeGreaterThan(1);
    expect(after.data.caseStats[0].overdueNow).toBeGreaterThan(first.caseStats[0].overdueNow);
  });

  it('are kept five minutes at most, whatever the generations say', async () => {
    const query = `{ caseStats(groupBy: [DISTRICT]) { district received } }`;
    const as = { role: 'analyst', sub: 'analyst-five-minutes' };
    expect((await twice(query, {}, as)).statements.cases).toBe(1);
    now = new Date(now.getTime() + 4 * 60_000);
    expect((await ask(query, {}, as)).statements.cases).toBe(1);
    now = new Date(now.getTime() + 2 * 60_000);
    expect((await ask(query, {}, as)).statements.cases).toBeGreaterThan(1);
  });

  it('are never served to another principal, nor kept for an operation with any other field', async () => {
    const query = `{ caseStats(groupBy: [DISTRICT]) { district received } }`;
    await hub.query(query, {}, { role: 'analyst', sub: 'analyst-one' });
    const other = await ask(query, {}, { role: 'analyst', sub: 'analyst-two' });
    expect(other.statements.cases).toBeGreaterThan(1);

    const [institution] = await activeInstitutions(hub, 1);
    const mixed = `query($id: ID!) { institutions(first: 5) { edges { node { id openComplaintCount } } } caseStats(filter: { institutionId: $id }) { received } }`;
    const { statements } = await twice(mixed, { id: institution!.id }, { role: 'admin' });
    // Executed again: the complaint counts are read (the statistics may come from the cases subgraph's own cache).
    expect(statements.institutions).toBeGreaterThan(1);
  });

  it("are checked against each subgraph's generation, which only the internal token may read", async () => {
    const token = await signInternalToken({ sub: 'gateway-check', role: 'analyst' }, hub.config.internalSecret);
    for (const url of Object.values(hub.urls).filter((u) => u !== hub.urls.gateway)) {
      const at = url.replace(/\/graphql$/, '/generation');
      expect((await fetch(at)).status, at).toBe(401);
      const answer = await fetch(at, { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status, at).toBe(200);
      expect(typeof ((await answer.json()) as { generation: unknown }).generation, at).toBe('number');
    }
    expect((await fetch(hub.urls.gateway.replace(/\/graphql$/, '/generation'))).status).toBe(404);
  });

  it('are kept for no field that is party data, and only for fields that exist', () => {
    const sdl = parse(fs.readFileSync(SUPERGRAPH_FILE, 'utf8'));
    const pii = [...piiCoordinates(sdl).keys()];
    const types = new Map<string, Set<string>>();
    for (const definition of sdl.definitions) {
      if ('fields' in definition && 'name' in definition && definition.name)
        types.set(definition.name.value, new Set((definition.fields ?? []).map((f) => f.name.value)));
    }
    for (const coordinate of Object.keys(KEPT_FIELDS)) {
      const [type, field] = coordinate.split('.') as [string, string];
      expect(types.has(type), coordinate).toBe(true);
      if (field === '*')
        expect(
          pii.filter((p) => p.startsWith(`${type}.`)),
          coordinate,
        ).toEqual([]);
      else {
        expect(types.get(type)!.has(field), coordinate).toBe(true);
        expect(pii, coordinate).not.toContain(coordinate);
      }
    }
  });
});
