import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { activeInstitutions, otherUnit, REGISTRY, supervisor } from './support/registry.js';
import { createDatabases, postgresReachable } from './support/postgres.js';

const reachable = await postgresReachable();

describe('change requests to the institution registry, decided by the justice bureau', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ cases: 20, institutions: 100 });
  });
  afterAll(async () => {
    await hub?.close();
  });

  const request = (as: { role: string; org?: string }, input: Record<string, unknown>, key?: string) =>
    hub.query(REGISTRY.request, { input, key }, as);
  const decide = (id: string, decision: string, note = '经审核同意', as = { role: 'admin' }) =>
    hub.query(REGISTRY.decide, { id, decision, note }, as);
  const statusOf = async (id: string) => (await hub.knex.institutions('institutions').where('id', id).first()).status;

  it('suspends an institution only when the admin approves, in the decision, and keeps the history', async () => {
    const [target] = await activeInstitutions(hub, 1);
    const filed = dataOf(
      await request(supervisor(target!.unit), {
        kind: 'SUSPEND',
        institutionId: target!.id,
        reason: '投诉查实，暂停接收办件',
      }),
    ).requestInstitutionChange;
    expect(filed).toMatchObject({
      kind: 'SUSPEND',
      status: 'OPEN',
      decidedAt: null,
      institution: { id: target!.id, status: 'ACTIVE' },
      supervisingUnit: { id: target!.unit },
    });
    expect(await statusOf(target!.id)).toBe('ACTIVE');

    const decided = dataOf(await decide(filed.id, 'APPROVE', '同意暂停')).decideInstitutionChange;
    expect(decided).toMatchObject({
      status: 'APPROVED',
      decidedBy: 'test-admin',
      decisionNote: '同意暂停',
      institution: { id: target!.id, status: 'SUSPENDED' },
    });
    expect(decided.institution.statusChangedAt).toBe(decided.decidedAt);

    const reinstate = dataOf(
      await request(supervisor(target!.unit), { kind: 'REINSTATE', institutionId: target!.id, reason: '整改完毕' }),
    ).requestInstitutionChange;
    dataOf(await decide(reinstate.id, 'APPROVE'));
    expect(await statusOf(target!.id)).toBe('ACTIVE');

    const history = dataOf(
      await hub.query(
        `query($id: ID!) { institution(id: $id) { changeRequests { totalCount edges { node { kind status } } } } }`,
        { id: target!.id },
        supervisor(target!.unit),
      ),
    );
    expect(history.institution.changeRequests).toEqual({
      totalCount: 2,
      edges: [{ node: { kind: 'SUSPEND', status: 'APPROVED' } }, { node: { kind: 'REINSTATE', status: 'APPROVED' } }],
    });
    const listed = dataOf(
      await hub.query(
        `query($f: InstitutionChangeFilter) { institutionChanges(filter: $f) { totalCount edges { node { id kind } } } }`,
        { f: { institutionId: target!.id } },
      ),
    );
    expect(listed.institutionChanges.edges.map((e: any) => e.node.id)).toEqual([filed.id, reinstate.id]);
  });

  it('changes nothing when the admin rejects, and refuses a second decision', async () => {
    const [, target] = await activeInstitutions(hub, 2);
    const filed = dataOf(
      await request(supervisor(target!.unit), { kind: 'CLOSE', institutionId: target!.id, reason: '机构撤销' }),
    ).requestInstitutionChange;
    const rejected = dataOf(await decide(filed.id, 'REJECT', '理由不充分')).decideInstitutionChange;
    expect(rejected).toMatchObject({
      status: 'REJECTED',
      decisionNote: '理由不充分',
      institution: { status: 'ACTIVE' },
    });
    const again = await decide(filed.id, 'APPROVE');
    expect(codesOf(again)).toEqual(['INVALID_TRANSITION']);
    expect(again.body.errors![0]!.message).toBe(`change request ${filed.id} is already REJECTED`);
    expect(await statusOf(target!.id)).toBe('ACTIVE');
  });

  it('onboards a new institution under the requesting unit on approval only', async () => {
    const [sample] = await activeInstitutions(hub, 1);
    const details = {
      name: '徐汇区漕河泾街道物业纠纷调解工作室',
      kind: 'PEOPLES_MEDIATION',
      district: '310104',
      street: '漕河泾街道',
      community: '田林社区',
      categories: ['PROPERTY_MANAGEMENT', 'NEIGHBOURS'],
      liaison: { name: '王联络', phone: '021-64871234' },
      listed: true,
    };
    const filed = dataOf(
      await request(supervisor(sample!.unit), { kind: 'ONBOARD', reason: '新设调解工作室', details }),
    ).requestInstitutionChange;
    expect(filed).toMatchObject({
      status: 'OPEN',
      institution: null,
      supervisingUnit: { id: sample!.unit },
      proposedDetails: { ...details, categories: ['NEIGHBOURS', 'PROPERTY_MANAGEMENT'] },
    });
    expect(await hub.knex.institutions('institutions').where('name', details.name).first()).toBeUndefined();

    const approved = dataOf(await decide(filed.id, 'APPROVE')).decideInstitutionChange;
    expect(approved.institution).toMatchObject({ status: 'ACTIVE' });
    const created = dataOf(await hub.query(REGISTRY.institution, { id: approved.institution.id })).institution;
    expect(created).toMatchObject({
      name: details.name,
      district: '310104',
      street: '漕河泾街道',
      community: '田林社区',
      listed: true,
      categories: ['NEIGHBOURS', 'PROPERTY_MANAGEMENT'],
      liaison: details.liaison,
      supervisingUnit: { id: sample!.unit },
    });
    const directory = dataOf(
      await hub.query(
        `{ institutions(filter: { district: "310104", category: PROPERTY_MANAGEMENT }, first: 500) { edges { node { id } } } }`,
        {},
        null,
      ),
    );
    expect(directory.institutions.edges.map((e: any) => e.node.id)).toContain(created.id);
  });

  it('changes listed details on approval', async () => {
    const [, , target] = await activeInstitutions(hub, 3);
    const filed = dataOf(
      await request(supervisor(target!.unit), {
        kind: 'UPDATE_DETAILS',
        institutionId: target!.id,
        reason: '联络员调整',
        details: { liaison: { name: '李新', phone: '13912345678' }, categories: ['LABOUR'], listed: false },
      }),
    ).requestInstitutionChange;
    expect(dataOf(await hub.query(REGISTRY.institution, { id: target!.id })).institution.liaison.name).not.toBe('李新');
    dataOf(await decide(filed.id, 'APPROVE'));
    expect(dataOf(await hub.query(REGISTRY.institution, { id: target!.id })).institution).toMatchObject({
      status: 'ACTIVE',
      listed: false,
      categories: ['LABOUR'],
      liaison: { name: '李新', phone: '13912345678' },
    });
  });

  it("lets only the institution's own supervising unit request, and only the admin decide", async () => {
    const [target] = await activeInstitutions(hub, 1);
    const foreign = await otherUnit(hub, target!.unit);
    for (const as of [
      supervisor(foreign),
      { role: 'admin' },
      { role: 'institution', org: target!.id },
      { role: 'analyst' },
    ]) {
      const result = await request(as, { kind: 'SUSPEND', institutionId: target!.id, reason: '越权申请' });
      expect(codesOf(result)).toEqual(['FORBIDDEN']);
      expect(result.body.errors![0]!.message).not.toContain(target!.id);
    }
    const filed = dataOf(
      await request(supervisor(target!.unit), {
        kind: 'UPDATE_DETAILS',
        institutionId: target!.id,
        reason: '更名',
        details: { listed: true },
      }),
    ).requestInstitutionChange;
    for (const as of [supervisor(target!.unit), { role: 'institution', org: target!.id }])
      expect(codesOf(await decide(filed.id, 'APPROVE', '自批', as))).toEqual(['FORBIDDEN']);
    // Onboarding happens only under the requesting unit itself, which must be a supervising unit.
    expect(
      codesOf(
        await request(supervisor(target!.id), {
          kind: 'ONBOARD',
          reason: '新设',
          details: { name: 'x', kind: 'PEOPLES_MEDIATION', district: '310104', categories: ['OTHER'] },
        }),
      ),
    ).toEqual(['FORBIDDEN']);
    // History: a unit sees its own requests only.
    expect(
      codesOf(
        await hub.query(
          `query($u: ID) { institutionChanges(filter: { supervisingUnitId: $u }) { totalCount } }`,
          { u: target!.unit },
          supervisor(foreign),
        ),
      ),
    ).toEqual(['FORBIDDEN']);
    expect(codesOf(await hub.query(`{ institutionChanges { totalCount } }`, {}, { role: 'analyst' }))).toEqual([
      'FORBIDDEN',
    ]);
    const own = dataOf(
      await hub.query(
        `{ institutionChanges(first: 500) { edges { node { supervisingUnit { id } } } } }`,
        {},
        supervisor(foreign),
      ),
    );
    for (const { node } of own.institutionChanges.edges) expect(node.supervisingUnit.id).toBe(foreign);
    const seen = await hub.query(
      `query($id: ID!) { institution(id: $id) { name changeRequests { totalCount } } }`,
      { id: target!.id },
      supervisor(foreign),
    );
    expect(codesOf(seen)).toEqual(['FORBIDDEN']);
  });

  it("refuses moves the institution's status does not allow, at request and at approval", async () => {
    const [, , , target] = await activeInstitutions(hub, 4);
    const reinstate = await request(supervisor(target!.unit), {
      kind: 'REINSTATE',
      institutionId: target!.id,
      reason: '恢复',
    });
    expect(reinstate.body.errors![0]).toMatchObject({
      extensions: { code: 'INVALID_TRANSITION', currentStatus: 'ACTIVE', attempted: 'REINSTATE' },
    });
    const suspend = dataOf(
      await request(supervisor(target!.unit), { kind: 'SUSPEND', institutionId: target!.id, reason: '暂停' }),
    ).requestInstitutionChange;
    const twice = await request(supervisor(target!.unit), {
      kind: 'SUSPEND',
      institutionId: target!.id,
      reason: '再次暂停',
    });
    expect(twice.body.errors![0]).toMatchObject({ extensions: { code: 'CONFLICT', openRequestId: suspend.id } });
    const close = dataOf(
      await request(supervisor(target!.unit), { kind: 'CLOSE', institutionId: target!.id, reason: '关闭' }),
    ).requestInstitutionChange;
    dataOf(await decide(close.id, 'APPROVE'));
    const late = await decide(suspend.id, 'APPROVE');
    expect(late.body.errors![0]).toMatchObject({
      message: expect.stringMatching(/is CLOSED/),
      extensions: { code: 'INVALID_TRANSITION', currentStatus: 'CLOSED' },
    });
    expect(await statusOf(target!.id)).toBe('CLOSED');
    expect((await hub.knex.institutions('institution_changes').where('seq', Number(suspend.id)).first()).status).toBe(
      'OPEN',
    );
  });

  it('returns the first result for a retried request with the same idempotency key', async () => {
    const [, , , , target] = await activeInstitutions(hub, 5);
    const input = {
      kind: 'UPDATE_DETAILS',
      institutionId: target!.id,
      reason: '更新',
      details: { street: '天平路街道' },
    };
    const first = dataOf(await request(supervisor(target!.unit), input, 'req-1')).requestInstitutionChange;
    const retry = dataOf(await request(supervisor(target!.unit), input, 'req-1')).requestInstitutionChange;
    expect(retry.id).toBe(first.id);
    expect(await hub.knex.institutions('institution_changes').where('institution_id', target!.id)).toHaveLength(1);
    const other = await request(supervisor(target!.unit), { ...input, reason: '另一个' }, 'req-1');
    expect(other.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'idempotencyKey' } });
  });

  describe('bad input, named by field', () => {
    const onboard = (details: Record<string, unknown>, reason = '新设') => ({
      kind: 'ONBOARD',
      reason,
      details: { name: '新调解室', kind: 'PEOPLES_MEDIATION', district: '310104', categories: ['OTHER'], ...details },
    });

    it.each([
      [
        'an unknown district',
        onboard({ district: '310199' }),
        'input.details.district',
        'input.details.district: not a district code (e.g. 310104 for Xuhui)',
      ],
      ['a blank reason', onboard({}, '   '), 'input.reason', 'input.reason: must not be blank'],
      [
        'a community without its street',
        onboard({ community: '田林社区' }),
        'input.details.community',
        'input.details.community: needs the street it belongs to (street)',
      ],
      [
        'no categories',
        onboard({ categories: [] }),
        'input.details.categories',
        'input.details.categories: must name at least one dispute category',
      ],
      [
        'a missing kind',
        onboard({ kind: null }),
        'input.details.kind',
        'input.details.kind: is required for a new institution',
      ],
      [
        'a supervising unit as the kind',
        onboard({ kind: 'SUPERVISING_UNIT' }),
        'input.details.kind',
        'input.details.kind: a supervising unit is not an institution a unit manages',
      ],
      [
        'a liaison phone that is no phone number',
        onboard({ liaison: { name: '王', phone: '12345' } }),
        'input.details.liaison.phone',
        'input.details.liaison.phone: must be a mainland mobile number or a landline with area code',
      ],
      [
        'a suspension without its institution',
        { kind: 'SUSPEND', reason: '暂停' },
        'input.institutionId',
        'input.institutionId: is required for a SUSPEND request',
      ],
    ])('refuses %s', async (_label, input, field, message) => {
      const [target] = await activeInstitutions(hub, 1);
      const result = await request(supervisor(target!.unit), input as Record<string, unknown>);
      expect(result.body.errors).toEqual([
        expect.objectContaining({ message, extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field }) }),
      ]);
    });

    it('refuses a name another institution of the district already has', async () => {
      const [target, second] = await activeInstitutions(hub, 2);
      const result = await request(
        supervisor(target!.unit),
        onboard({ name: target!.name, district: target!.district }),
      );
      expect(result.body.errors![0]).toMatchObject({
        message: `input.details.name: another institution in district ${target!.district} already has this name`,
        extensions: { field: 'input.details.name' },
      });
      const rename = await request(supervisor(second!.unit), {
        kind: 'UPDATE_DETAILS',
        institutionId: second!.id,
        reason: '更名',
        details: { name: target!.name, district: target!.district },
      });
      expect(rename.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.details.name' });
    });

    it('refuses a category not in the enum, naming where it was', async () => {
      const [target] = await activeInstitutions(hub, 1);
      const result = await request(supervisor(target!.unit), onboard({ categories: ['LABOUR', 'PARKING'] }));
      expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
      // The value is the caller's text, withheld like any other (kit/echo-scrub.ts); the place and the enum are named.
      expect(result.body.errors![0]!.message).toMatch(
        /input\.details\.categories\[1\].*"<input withheld>".*DisputeCategory/,
      );
      expect(result.body.errors![0]!.message).not.toContain('PARKING');
    });

    it('refuses a blank decision note', async () => {
      const target = (await activeInstitutions(hub, 6))[5];
      const filed = dataOf(
        await request(
          supervisor(target!.unit),
          { kind: 'UPDATE_DETAILS', institutionId: target!.id, reason: '更新', details: { listed: true } },
          'blank-note',
        ),
      ).requestInstitutionChange;
      const result = await decide(filed.id, 'APPROVE', ' ');
      expect(result.body.errors).toEqual([
        expect.objectContaining({
          message: 'note: must not be blank',
          extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'note' }),
        }),
      ]);
      expect(codesOf(await decide('99999', 'APPROVE'))).toEqual(['NOT_FOUND']);
    });
  });
});

describe.skipIf(!reachable)('change requests and complaints with the registry on PostgreSQL', () => {
  let hub: Hub;
  let databases: Awaited<ReturnType<typeof createDatabases>>;
  beforeAll(async () => {
    databases = await createDatabases(['institutions']);
    hub = await startHub({ cases: 20, institutions: 60, databaseUrls: { institutions: databases.urls.institutions } });
  });
  afterAll(async () => {
    await hub?.close();
    await databases?.drop();
  });

  it('onboards, changes details, and handles a complaint', async () => {
    const [sample] = await activeInstitutions(hub, 1);
    const details = {
      name: '长宁区消费纠纷调解中心',
      kind: 'INDUSTRY_MEDIATION',
      district: '310105',
      categories: ['CONSUMER'],
    };
    const filed = dataOf(
      await hub.query(
        REGISTRY.request,
        { input: { kind: 'ONBOARD', reason: '新设', details } },
        supervisor(sample!.unit),
      ),
    ).requestInstitutionChange;
    const id = dataOf(await hub.query(REGISTRY.decide, { id: filed.id, decision: 'APPROVE', note: '同意' }))
      .decideInstitutionChange.institution.id;
    const update = dataOf(
      await hub.query(
        REGISTRY.request,
        {
          input: {
            kind: 'UPDATE_DETAILS',
            institutionId: id,
            reason: '增加类别',
            details: { categories: ['CONSUMER', 'TOURISM'], listed: false },
          },
        },
        supervisor(sample!.unit),
      ),
    ).requestInstitutionChange;
    dataOf(await hub.query(REGISTRY.decide, { id: update.id, decision: 'APPROVE', note: '同意' }));
    expect(dataOf(await hub.query(REGISTRY.institution, { id })).institution).toMatchObject({
      ...details,
      status: 'ACTIVE',
      listed: false,
      categories: ['CONSUMER', 'TOURISM'],
    });

    const complaint = dataOf(
      await hub.query(REGISTRY.file, { i: id, s: '调解不公' }, { role: 'analyst' }),
    ).fileComplaint;
    const COUNT = `query($id: ID!) { institution(id: $id) { openComplaintCount changeRequests { totalCount } } }`;
    expect(dataOf(await hub.query(COUNT, { id }, supervisor(sample!.unit))).institution).toEqual({
      openComplaintCount: 1,
      changeRequests: { totalCount: 2 },
    });
    dataOf(
      await hub.query(
        REGISTRY.resolve,
        { id: complaint.id, o: 'UNFOUNDED', n: '经核查不属实' },
        supervisor(sample!.unit),
      ),
    );
    expect(dataOf(await hub.query(COUNT, { id })).institution.openComplaintCount).toBe(0);
  });
});
