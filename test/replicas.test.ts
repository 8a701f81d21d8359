/**
 * Two gateways, each over its own replica of every subgraph, the two replicas of a subgraph on one PostgreSQL
 * database: every request is answered through either; a write through one is seen through the other on the next
 * request (its kept answers and cached statistics included); and the two replicas' outbox relays deliver each event
 * to a subscriber once, in order.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import knexFactory, { type Knex } from 'knex';
import { loadConfig, type HubConfig } from '../kit/config.js';
import { createLogger } from '../kit/log.js';
import { startCasesService } from '../subgraphs/cases/service.js';
import { startInstitutionsService } from '../subgraphs/institutions/service.js';
import { startReferralsService } from '../subgraphs/referrals/service.js';
import { startGateway } from '../gateway/service.js';
import { signDevToken } from '../gateway/dev-token.js';
import { seedDemo } from '../seed/seed-demo.js';
import { freePort } from '../scripts/processes.js';
import { MUTATIONS } from './support/cases.js';
import { createDatabases, postgresReachable } from './support/postgres.js';

const reachable = await postgresReachable();
if (!reachable) console.warn('replicas.test.ts: no PostgreSQL at JIEFEN_TEST_POSTGRES_URL, skipped');

/** A subscriber that records the event ids it is sent. */
const delivered: string[] = [];
const partner = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    delivered.push(String(req.headers['x-jiefen-event-id']));
    res.writeHead(204).end();
  });
});

const closers: (() => Promise<void>)[] = [];
const gateways: string[] = [];
let databases: Awaited<ReturnType<typeof createDatabases>>;
let config: HubConfig;
/** The cases database, read directly. */
let casesDb: Knex;
const silent = (service: string) => createLogger(service, 'fatal');

describe.skipIf(!reachable)('two gateways over two replicas of each subgraph, on one PostgreSQL', () => {
  beforeAll(async () => {
    await new Promise<void>((done) => partner.listen(0, '127.0.0.1', done));
    databases = await createDatabases(['cases', 'institutions', 'referrals']);
    config = {
      ...loadConfig({ NODE_ENV: 'test', GATEWAY_PORT: '0' }),
      databaseUrls: databases.urls,
      webhooks: [
        {
          name: 'partner',
          url: `http://127.0.0.1:${(partner.address() as AddressInfo).port}/hook`,
          secret: 'partner-webhook-secret-0001',
          types: ['case.'],
        },
      ],
      outbox: { pollMs: 20, retryBaseMs: 100, retryMaxMs: 1000 },
    };
    await seedDemo(config, { cases: 150, institutions: 30, seed: 7 });
    casesDb = knexFactory({ client: 'pg', connection: databases.urls.cases });
    for (let replica = 0; replica < 2; replica++) {
      const ports = {
        ...config.ports,
        cases: await freePort(),
        institutions: await freePort(),
        referrals: await freePort(),
      };
      const local = (port: number) => `http://127.0.0.1:${port}/graphql`;
      // Each replica calls its own siblings, as a replica behind a balancer calls the balanced address.
      const own: HubConfig = {
        ...config,
        ports,
        subgraphUrls: {
          cases: local(ports.cases),
          institutions: local(ports.institutions),
          referrals: local(ports.referrals),
        },
      };
      const institutions = await startInstitutionsService(own, silent('institutions'));
      const cases = await startCasesService(own, silent('cases'));
      const referrals = await startReferralsService(own, silent('referrals'));
      const gateway = await startGateway(own, silent('gateway'));
      closers.push(
        () => gateway.close(),
        () => cases.close(),
        () => institutions.close(),
        () => referrals.close(),
      );
      gateways.push(gateway.url);
    }
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await casesDb?.destroy();
    await databases?.drop();
    partner.close();
  });

  const as = async (gateway: string, query: string, variables: Record<string, unknown>, role: string, org?: string) => {
    const token = await signDevToken({ sub: `test-${role}`, role, org }, config.jwt.secret!);
    const response = await fetch(gateway, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return response.json() as Promise<{ data?: any; errors?: unknown[] }>;
  };

  it('answers every request through either gateway', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        as(
          gateways[i % 2]!,
          '{ cases(first: 3) { totalCount edges { node { id institution { name } referrals { id } } } } }',
          {},
          'admin',
        ),
      ),
    );
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    expect(new Set(answers.map((answer) => answer.data.cases.totalCount))).toEqual(new Set([150]));
  });

  it('shows a write through one gateway and replica through the other on the next request, kept statistics included', async () => {
    // An institution sees its own figures in full (no small cell withheld).
    const row = await casesDb('cases')
      .where('status', 'DISPATCHED')
      .orderBy('seq', 'desc')
      .first('id', 'version', 'institution_id');
    const stats =
      'query($id: ID!) { caseStats(filter: { institutionId: $id }, groupBy: [STATUS]) { status received } }';
    const byStatus = async () =>
      Object.fromEntries(
        (
          await as(gateways[1]!, stats, { id: row.institution_id }, 'institution', row.institution_id)
        ).data.caseStats.map((r: { status: string; received: number }) => [r.status, r.received]),
      );
    const before = await byStatus();
    // Asked again: a kept answer.
    expect(await byStatus()).toEqual(before);
    const accepted = await as(
      gateways[0]!,
      MUTATIONS.accept,
      { id: row.id, v: row.version },
      'institution',
      row.institution_id,
    );
    expect(accepted.errors).toBeUndefined();
    const after = await byStatus();
    expect(after.DISPATCHED ?? 0).toBe(before.DISPATCHED - 1);
    expect(after.ACCEPTED).toBe((before.ACCEPTED ?? 0) + 1);
  });

  it("delivers each event once, in order, with both replicas' relays running", async () => {
    const last = Number((await casesDb('case_events').max({ last: 'id' }).first())?.last);
    const rows = await casesDb('cases')
      .where('status', 'DISPATCHED')
      .orderBy('seq')
      .limit(6)
      .select('id', 'version', 'institution_id');
    expect(rows).toHaveLength(6);
    // Changes through alternating gateways, so each replica writes some of the events.
    for (const [i, row] of rows.entries()) {
      const answer = await as(
        gateways[i % 2]!,
        MUTATIONS.accept,
        { id: row.id, v: row.version },
        'institution',
        row.institution_id,
      );
      expect(answer.errors).toBeUndefined();
    }
    const written = (await casesDb('case_events').where('id', '>', last).orderBy('id').select('id')).map(
      (event: { id: number }) => `case-event:${event.id}`,
    );
    expect(written).toHaveLength(6);
    const since = () => delivered.filter((id) => Number(id.split(':')[1]) > last);
    const deadline = Date.now() + 15_000;
    while (since().length < written.length && Date.now() < deadline)
      await new Promise((settle) => setTimeout(settle, 25));
    // A moment more, for a duplicate to show if one were coming.
    await new Promise((settle) => setTimeout(settle, 300));
    expect(since()).toEqual(written);
  });
});
