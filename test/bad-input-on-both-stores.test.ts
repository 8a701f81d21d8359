import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type GraphQLResult, type Hub } from './support/hub.js';
import { createDatabases, postgresReachable, POSTGRES_URL } from './support/postgres.js';
import { MUTATIONS, validSubmission } from './support/cases.js';
import { caseSupply, REFERRAL_MUTATIONS, targets } from './support/referrals.js';
import { activeInstitutions, REGISTRY, supervisor } from './support/registry.js';

// As test/postgres-stores.test.ts: PostgreSQL is on the developers' machines and in CI, where a missing one fails.
const reachable = await postgresReachable();
if (!reachable && process.env.CI) throw new Error(`PostgreSQL is not reachable at ${POSTGRES_URL}, and CI needs it`);
if (!reachable)
  console.warn(`skipping the PostgreSQL half of bad-input-on-both-stores: nothing answers at ${POSTGRES_URL}`);

const NUL = 'NULMARK\u0000after';

function expectBadInputNaming(result: GraphQLResult, field: string) {
  expect(result.body.errors).toHaveLength(1);
  expect(result.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  expect(result.body.errors![0]!.message).toBe(`${field}: must not contain a NUL character (U+0000)`);
  expect(JSON.stringify(result.body)).not.toContain('NULMARK');
}

describe.each([
  ['sqlite', false],
  ['PostgreSQL', true],
] as const)('on %s stores', (_name, postgres) => {
  let hub: Hub;
  let databases: Awaited<ReturnType<typeof createDatabases>> | undefined;
  beforeAll(async () => {
    if (postgres && !reachable) return;
    databases = postgres ? await createDatabases(['cases', 'institutions', 'referrals']) : undefined;
    hub = await startHub({ cases: 60, institutions: 40, databaseUrls: databases?.urls });
  });
  afterAll(async () => {
    await hub?.close();
    await databases?.drop();
  });

  describe.skipIf(postgres && !reachable)('a NUL character in a string input', () => {
    it('is BAD_USER_INPUT naming the field, in variables and in literals, and nothing is written', async () => {
      const before = Number((await hub.knex.cases('cases').count({ n: '*' }).first())!.n);
      const intake = { role: 'intake' };
      const submission = validSubmission();
      const parties = submission.parties.map((p, i) => (i === 1 ? { ...p, name: NUL } : p));
      expectBadInputNaming(
        await hub.query(MUTATIONS.submit, { input: { ...submission, parties } }, intake),
        'input.parties[1].name',
      );
      expectBadInputNaming(
        await hub.query(MUTATIONS.submit, { input: { ...submission, claims: NUL } }, intake),
        'input.claims',
      );
      expectBadInputNaming(
        await hub.query(MUTATIONS.submit, { input: submission, key: NUL }, intake),
        'idempotencyKey',
      );
      expectBadInputNaming(await hub.query('{ case(id: "NULMARK\\u0000") { id } }'), 'id');
      expectBadInputNaming(
        await hub.query('query($d: String) { cases(filter: { district: $d }) { totalCount } }', { d: NUL }),
        'filter.district',
      );
      expect(Number((await hub.knex.cases('cases').count({ n: '*' }).first())!.n)).toBe(before);
    });

    it('is refused alike by the registry and the referrals subgraph', async () => {
      const [institution] = await activeInstitutions(hub, 1);
      expectBadInputNaming(await hub.query(REGISTRY.file, { i: institution!.id, s: NUL }), 'subject');
      expectBadInputNaming(await hub.query(REGISTRY.institution, { id: NUL }), 'id');
      const [court] = await targets(hub, ['COURT']);
      expectBadInputNaming(
        await hub.query(
          REFERRAL_MUTATIONS.request,
          { caseId: NUL, kind: 'JUDICIAL_CONFIRMATION', targetId: court },
          { role: 'institution', org: institution!.id },
        ),
        'caseId',
      );
      expectBadInputNaming(
        await hub.query(`{ referrals(first: 1, filter: { targetId: "NULMARK\\u0000" }) { totalCount } }`),
        'filter.targetId',
      );
    });
  });

  describe.skipIf(postgres && !reachable)('one idempotency key sent many times at once', () => {
    it('gives every one of 50 concurrent submitCase the one case', async () => {
      const before = Number((await hub.knex.cases('cases').count({ n: '*' }).first())!.n);
      const input = validSubmission();
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          hub.query(MUTATIONS.submit, { input, key: 'race-submit-1' }, { role: 'intake' }),
        ),
      );
      const ids = new Set(results.map((r) => dataOf(r).submitCase.id));
      expect(ids.size).toBe(1);
      expect(Number((await hub.knex.cases('cases').count({ n: '*' }).first())!.n)).toBe(before + 1);
    });

    it('gives every one of 20 concurrent requestReferral the one referral', async () => {
      const [c] = await caseSupply(hub)('RESOLVED');
      const [court] = await targets(hub, ['COURT']);
      const variables = { caseId: c!.id, kind: 'JUDICIAL_CONFIRMATION', targetId: court, key: 'race-referral-1' };
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          hub.query(REFERRAL_MUTATIONS.request, variables, { role: 'institution', org: c!.institutionId }),
        ),
      );
      expect(new Set(results.map((r) => dataOf(r).requestReferral.id)).size).toBe(1);
      expect(Number((await hub.knex.referrals('referrals').where('case_id', c!.id).count({ n: '*' }).first())!.n)).toBe(
        1,
      );
    });

    it('gives every one of 20 concurrent onboarding requests and complaints the one record', async () => {
      const [institution] = await activeInstitutions(hub, 1);
      const input = {
        kind: 'ONBOARD',
        reason: '新设调解工作室',
        details: { name: '并发调解工作室', kind: 'PEOPLES_MEDIATION', district: '310104', categories: ['OTHER'] },
      };
      const requests = await Promise.all(
        Array.from({ length: 20 }, () =>
          hub.query(REGISTRY.request, { input, key: 'race-onboard-1' }, supervisor(institution!.unit)),
        ),
      );
      expect(new Set(requests.map((r) => dataOf(r).requestInstitutionChange.id)).size).toBe(1);
      const complaints = await Promise.all(
        Array.from({ length: 20 }, () =>
          hub.query(REGISTRY.file, { i: institution!.id, s: '久拖不决', key: 'race-complaint-1' }, { role: 'intake' }),
        ),
      );
      expect(new Set(complaints.map((r) => dataOf(r).fileComplaint.id)).size).toBe(1);
    });
  });
});
