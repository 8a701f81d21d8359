/**
 * Every case and referral change reaches a partner as a signed webhook, exactly once by event id, in order, even
 * when the partner's server is down or failing for a while, and when the relay itself was down.
 */
import http from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { MUTATIONS, validSubmission } from './support/cases.js';
import { caseSupply, REFERRAL_MUTATIONS as M, targets } from './support/referrals.js';
import { DELIVERY_TABLE, OutboxRelay } from '../kit/outbox.js';
import { referralEvents } from '../subgraphs/referrals/events.js';
import { createLogger } from '../kit/log.js';
import { createDatabases, postgresReachable } from './support/postgres.js';

const SECRET = 'partner-webhook-secret-0001';

/** A partner's webhook endpoint: a real HTTP server that records what it is sent, and can be stopped and restarted. */
class Partner {
  received: { id: string; type: string; body: any; signatureValid: boolean; eventIdHeader: string }[] = [];
  failWith: number | null = null;
  private server: http.Server | null = null;
  port = 0;

  async start() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        if (this.failWith) {
          res.writeHead(this.failWith).end();
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const expected = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
        const body = JSON.parse(raw);
        this.received.push({
          id: body.id,
          type: body.type,
          body,
          signatureValid: req.headers['x-jiefen-signature'] === expected,
          eventIdHeader: String(req.headers['x-jiefen-event-id']),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  async stop() {
    const server = this.server!;
    this.server = null;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let hub: Hub;
const partner = new Partner();
let startCursors: Record<string, number>;

beforeAll(async () => {
  await partner.start();
  hub = await startHub({
    cases: 200,
    webhooks: [{ name: 'partner', url: `http://127.0.0.1:${partner.port}/hooks`, secret: SECRET }],
    outbox: { pollMs: 30, retryBaseMs: 40, retryMaxMs: 250 },
  });
  startCursors = {
    cases: Number(
      (await hub.knex.cases(DELIVERY_TABLE).where({ source: 'cases', subscriber: 'partner' }).first()).cursor,
    ),
    referrals: Number(
      (await hub.knex.referrals(DELIVERY_TABLE).where({ source: 'referrals', subscriber: 'partner' }).first()).cursor,
    ),
  };
});
afterAll(async () => {
  await hub?.close();
  await partner.stop().catch(() => undefined);
});

/** Every event id written since the hub started, from both stores' outboxes, in key order. */
async function written(): Promise<string[]> {
  const cases = await hub.knex.cases('case_events').where('id', '>', startCursors.cases!).orderBy('id').select('id');
  const referrals = await hub.knex
    .referrals('referral_events')
    .where('id', '>', startCursors.referrals!)
    .orderBy('id')
    .select('id');
  return [...cases.map((r) => `case-event:${r.id}`), ...referrals.map((r) => `referral-event:${r.id}`)];
}

async function deliveredAll() {
  const ids = new Set(partner.received.map((r) => r.id));
  return (await written()).every((id) => ids.has(id));
}

describe('webhooks to partner systems', () => {
  it('delivers every change once by id, signed, across an outage of the partner and a period of errors', async () => {
    const take = caseSupply(hub);
    const [court] = await targets(hub, ['COURT']);
    const resolved = await take('RESOLVED', 3);
    const accepted = await take('ACCEPTED', 2);
    const intake = { role: 'intake' };
    const courtRole = { role: 'court', org: court };

    // Before the outage.
    dataOf(await hub.query(MUTATIONS.submit, { input: validSubmission() }, intake));
    const first = dataOf(
      await hub.query(
        M.request,
        { caseId: resolved[0]!.id, kind: 'JUDICIAL_CONFIRMATION', targetId: court },
        { role: 'institution', org: resolved[0]!.institutionId },
      ),
    ).requestReferral;
    await until('the first changes are delivered', deliveredAll);

    // The partner's server goes down; changes go on in both offices.
    await partner.stop();
    dataOf(await hub.query(M.accept, { id: first.id, v: 1 }, courtRole));
    dataOf(
      await hub.query(
        M.decide,
        {
          id: first.id,
          result: 'CONFIRMED',
          at: new Date(Date.now() - 1000).toISOString(),
          doc: '(2026)沪0104民特9号',
          v: 2,
        },
        courtRole,
      ),
    );
    for (const c of accepted)
      dataOf(
        await hub.query(
          MUTATIONS.close,
          { id: c.id, outcome: 'RESOLVED', subject: '分期履行', v: c.version },
          { role: 'institution', org: c.institutionId },
        ),
      );
    const submitted = dataOf(await hub.query(MUTATIONS.submit, { input: validSubmission() }, intake)).submitCase;
    dataOf(await hub.query(MUTATIONS.withdraw, { id: submitted.id, reason: '申请人撤回', v: 1 }, intake));
    const second = dataOf(
      await hub.query(
        M.request,
        { caseId: resolved[1]!.id, kind: 'JUDICIAL_CONFIRMATION', targetId: court },
        { role: 'institution', org: resolved[1]!.institutionId },
      ),
    ).requestReferral;
    await until('the relays noticed the outage', async () => {
      const c = await hub.knex.cases(DELIVERY_TABLE).where({ subscriber: 'partner' }).first();
      const r = await hub.knex.referrals(DELIVERY_TABLE).where({ subscriber: 'partner' }).first();
      return c.attempts > 0 && r.attempts > 0;
    });

    // Back up, but answering 503 for a while: still nothing is taken as delivered.
    partner.failWith = 503;
    await partner.start();
    dataOf(await hub.query(M.decline, { id: second.id, reason: '不属于本院管辖', v: 1 }, courtRole));
    await until('the relays retried against the failing partner', async () => {
      const r = await hub.knex.referrals(DELIVERY_TABLE).where({ subscriber: 'partner' }).first();
      return String(r.last_error).includes('503');
    });
    const lastReferralEvent = `referral-event:${(await hub.knex.referrals('referral_events').max({ n: 'id' }).first())!.n}`;
    expect(partner.received.some((r) => r.id === lastReferralEvent)).toBe(false);

    // Healthy again: everything arrives.
    partner.failWith = null;
    await until('every change is delivered after the outage', deliveredAll);

    const expected = await written();
    const ids = partner.received.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...expected].sort());
    // Each source's events arrive in the order they were written.
    for (const prefix of ['case-event:', 'referral-event:']) {
      const order = partner.received
        .filter((r) => r.id.startsWith(prefix))
        .map((r) => Number(r.id.slice(prefix.length)));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    for (const r of partner.received) {
      expect(r.signatureValid).toBe(true);
      expect(r.eventIdHeader).toBe(r.id);
    }
    const decided = partner.received.find((r) => r.type === 'referral.decide')!;
    expect(decided.body.data).toMatchObject({
      referralId: first.id,
      caseId: resolved[0]!.id,
      kind: 'JUDICIAL_CONFIRMATION',
      targetId: court,
      fromStatus: 'ACCEPTED',
      toStatus: 'DECIDED',
      result: 'CONFIRMED',
    });
    const closed = partner.received.filter((r) => r.type === 'case.close').map((r) => r.body.data.caseId);
    expect(closed.sort()).toEqual(accepted.map((c) => c.id).sort());
    // No party data or free text travels in an event.
    const declined = partner.received.find((r) => r.type === 'referral.decline')!;
    expect(JSON.stringify(declined.body)).not.toContain('不属于本院管辖');
    const delivered = await hub.knex.referrals(DELIVERY_TABLE).where({ subscriber: 'partner' }).first();
    expect(Number(delivered.delivered)).toBe(partner.received.filter((r) => r.id.startsWith('referral-event:')).length);
  });

  it('resumes from its stored cursor after the relay itself was down', async () => {
    const other = new Partner();
    await other.start();
    const subscriber = { name: 'late-partner', url: `http://127.0.0.1:${other.port}/hooks`, secret: SECRET };
    const options = { pollMs: 30, retryBaseMs: 40, retryMaxMs: 250, logger: createLogger('test', 'error') };
    try {
      const relay = new OutboxRelay(hub.knex.referrals, referralEvents, [subscriber], options);
      await relay.start();
      await relay.stop();
      const from = Number(
        (await hub.knex.referrals(DELIVERY_TABLE).where({ subscriber: 'late-partner' }).first()).cursor,
      );
      const take = caseSupply(hub);
      const [court] = await targets(hub, ['COURT']);
      const cases = await take('UNRESOLVED', 2);
      for (const c of cases)
        dataOf(
          await hub.query(
            M.request,
            { caseId: c.id, kind: 'LITIGATION', targetId: court },
            { role: 'institution', org: c.institutionId },
          ),
        );
      const missed = (
        await hub.knex.referrals('referral_events').where('id', '>', from).orderBy('id').select('id')
      ).map((r) => `referral-event:${r.id}`);
      expect(missed.length).toBeGreaterThanOrEqual(2);

      // A new relay process: the cursor in the store says where the last one stopped.
      const restarted = new OutboxRelay(hub.knex.referrals, referralEvents, [subscriber], options);
      await restarted.start();
      await until('the restarted relay caught up', () => missed.every((id) => other.received.some((r) => r.id === id)));
      await restarted.stop();
      expect(other.received.map((r) => r.id)).toEqual(missed);
    } finally {
      await other.stop();
    }
  });
});

const postgres = await postgresReachable();

describe.skipIf(!postgres)('webhooks from PostgreSQL stores, where transactions commit out of key order', () => {
  it('delivers every change of concurrent writers exactly once by id', async () => {
    const partnerPg = new Partner();
    await partnerPg.start();
    const databases = await createDatabases(['cases', 'institutions', 'referrals']);
    const pgHub = await startHub({
      cases: 200,
      databaseUrls: databases.urls,
      webhooks: [{ name: 'partner', url: `http://127.0.0.1:${partnerPg.port}/hooks`, secret: SECRET }],
      outbox: { pollMs: 20, retryBaseMs: 40, retryMaxMs: 250 },
    });
    try {
      const from = {
        cases: Number((await pgHub.knex.cases(DELIVERY_TABLE).first()).cursor),
        referrals: Number((await pgHub.knex.referrals(DELIVERY_TABLE).first()).cursor),
      };
      const take = caseSupply(pgHub);
      const [court] = await targets(pgHub, ['COURT']);
      const resolved = await take('RESOLVED', 8);
      const accepted = await take('ACCEPTED', 8);
      // Many writers at once in both stores, while the relays poll.
      await Promise.all([
        ...resolved.map((c) =>
          pgHub.query(
            M.request,
            { caseId: c.id, kind: 'JUDICIAL_CONFIRMATION', targetId: court },
            { role: 'institution', org: c.institutionId },
          ),
        ),
        ...accepted.map((c) =>
          pgHub.query(
            MUTATIONS.close,
            { id: c.id, outcome: 'UNRESOLVED', remedies: '可起诉', v: c.version },
            { role: 'institution', org: c.institutionId },
          ),
        ),
        ...Array.from({ length: 8 }, () =>
          pgHub.query(MUTATIONS.submit, { input: validSubmission() }, { role: 'intake' }),
        ),
      ]);
      const expected = [
        ...(await pgHub.knex.cases('case_events').where('id', '>', from.cases).select('id')).map(
          (r) => `case-event:${r.id}`,
        ),
        ...(await pgHub.knex.referrals('referral_events').where('id', '>', from.referrals).select('id')).map(
          (r) => `referral-event:${r.id}`,
        ),
      ];
      expect(expected.length).toBe(8 + 8 + 8);
      await until('every change is delivered', () =>
        expected.every((id) => partnerPg.received.some((r) => r.id === id)),
      );
      const ids = partnerPg.received.map((r) => r.id);
      expect(ids.sort()).toEqual(expected.sort());
    } finally {
      await pgHub.close();
      await databases.drop();
      await partnerPg.stop();
    }
  });
});
