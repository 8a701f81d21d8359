import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, dataOf, startHub, type Hub } from './support/hub.js';
import { activeInstitutions, otherUnit, REGISTRY, supervisor } from './support/registry.js';

const COUNT = `query($id: ID!) { institution(id: $id) { id name openComplaintCount } }`;

describe('complaints about institutions, handled by their supervising unit', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({ cases: 20, institutions: 60 });
  });
  afterAll(async () => {
    await hub?.close();
  });

  const file = (
    institutionId: string,
    as: { role: string; org?: string },
    subject = '调解员态度恶劣，久拖不办',
    key?: string,
  ) => hub.query(REGISTRY.file, { i: institutionId, s: subject, key }, as);
  const openCount = async (id: string, as: { role: string; org?: string }) => hub.query(COUNT, { id }, as);

  it('takes a complaint from any authenticated principal and counts it for the unit and the admin only', async () => {
    const [target] = await activeInstitutions(hub, 1);
    const filers = [
      { role: 'analyst' },
      { role: 'intake' },
      { role: 'institution', org: 'IN-00002' },
      { role: 'court', org: 'IN-00003' },
    ];
    for (const as of filers)
      expect(dataOf(await file(target!.id, as)).fileComplaint).toMatchObject({
        status: 'OPEN',
        institution: { id: target!.id },
      });
    expect(dataOf(await openCount(target!.id, supervisor(target!.unit))).institution.openComplaintCount).toBe(
      filers.length,
    );
    expect(dataOf(await openCount(target!.id, { role: 'admin' })).institution.openComplaintCount).toBe(filers.length);

    for (const as of [
      supervisor(await otherUnit(hub, target!.unit)),
      { role: 'institution', org: target!.id },
      { role: 'analyst' },
    ]) {
      const result = await openCount(target!.id, as);
      expect(result.body.data.institution).toEqual({ id: target!.id, name: target!.name, openComplaintCount: null });
      expect(result.body.errors).toEqual([
        expect.objectContaining({
          message: "Institution.openComplaintCount is visible only to the institution's supervising unit and the admin",
          path: ['institution', 'openComplaintCount'],
          extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
        }),
      ]);
    }
    expect(codesOf(await file(target!.id, null as never))).toEqual(['UNAUTHENTICATED']);
  });

  it('counts open complaints for many institutions in one statement', async () => {
    const institutions = await activeInstitutions(hub, 10);
    const unit = institutions[0]!.unit;
    for (const i of institutions.filter((i) => i.unit === unit)) dataOf(await file(i.id, { role: 'analyst' }));
    hub.counters.institutions.reset();
    const data = dataOf(
      await hub.query(
        `query($u: ID!) { institution(id: $u) { managedInstitutions(first: 100) { edges { node { openComplaintCount } } } } }`,
        { u: unit },
        supervisor(unit),
      ),
    );
    expect(data.institution.managedInstitutions.edges.some((e: any) => e.node.openComplaintCount > 0)).toBe(true);
    // The unit, its page of institutions, and all their open counts at once.
    expect(hub.counters.institutions.count()).toBe(3);
  });

  it('lets the supervising unit resolve a complaint once, with an outcome and a note', async () => {
    const [, target] = await activeInstitutions(hub, 2);
    const complaint = dataOf(await file(target!.id, { role: 'intake' })).fileComplaint;
    const before = dataOf(await openCount(target!.id, { role: 'admin' })).institution.openComplaintCount;

    const foreign = supervisor(await otherUnit(hub, target!.unit));
    for (const as of [foreign, { role: 'admin' }, { role: 'institution', org: target!.id }]) {
      expect(
        codesOf(await hub.query(REGISTRY.resolve, { id: complaint.id, o: 'UNFOUNDED', n: '不予支持' }, as)),
      ).toEqual(['FORBIDDEN']);
    }
    const blank = await hub.query(
      REGISTRY.resolve,
      { id: complaint.id, o: 'UNFOUNDED', n: '  ' },
      supervisor(target!.unit),
    );
    expect(blank.body.errors![0]).toMatchObject({
      message: 'note: must not be blank',
      extensions: { code: 'BAD_USER_INPUT', field: 'note' },
    });

    const resolved = dataOf(
      await hub.query(
        REGISTRY.resolve,
        { id: complaint.id, o: 'RECTIFICATION_ORDERED', n: '已责令整改' },
        supervisor(target!.unit),
      ),
    ).resolveComplaint;
    expect(resolved).toMatchObject({
      id: complaint.id,
      status: 'RESOLVED',
      outcome: 'RECTIFICATION_ORDERED',
      resolutionNote: '已责令整改',
    });
    expect(dataOf(await openCount(target!.id, { role: 'admin' })).institution.openComplaintCount).toBe(before - 1);
    const again = await hub.query(
      REGISTRY.resolve,
      { id: complaint.id, o: 'UNFOUNDED', n: '再次处理' },
      supervisor(target!.unit),
    );
    expect(again.body.errors![0]).toMatchObject({
      extensions: { code: 'INVALID_TRANSITION', currentStatus: 'RESOLVED' },
    });
  });

  it('lists complaints to the unit for its own institutions, and to the admin', async () => {
    const [, , target] = await activeInstitutions(hub, 3);
    const complaint = dataOf(await file(target!.id, { role: 'analyst' }, '未按时联系被申请人')).fileComplaint;
    const LIST = `query($f: ComplaintFilter) { complaints(filter: $f, first: 500) { totalCount edges { node { id subject status institution { id supervisingUnit { id } } } } } }`;
    const own = dataOf(await hub.query(LIST, { f: { status: 'OPEN' } }, supervisor(target!.unit))).complaints;
    expect(own.edges.map((e: any) => e.node.id)).toContain(complaint.id);
    for (const { node } of own.edges) expect(node.institution.supervisingUnit.id).toBe(target!.unit);
    const foreign = dataOf(
      await hub.query(LIST, { f: { institutionId: target!.id } }, supervisor(await otherUnit(hub, target!.unit))),
    ).complaints;
    expect(foreign.totalCount).toBe(0);
    expect(dataOf(await hub.query(LIST, { f: { institutionId: target!.id } })).complaints.totalCount).toBe(1);
    expect(codesOf(await hub.query(LIST, {}, { role: 'analyst' }))).toEqual(['FORBIDDEN']);
  });

  it('refuses bad input by field, and retries by idempotency key', async () => {
    const [target] = await activeInstitutions(hub, 1);
    const blank = await file(target!.id, { role: 'analyst' }, ' ');
    expect(blank.body.errors![0]).toMatchObject({
      message: 'subject: must not be blank',
      extensions: { field: 'subject' },
    });
    expect(codesOf(await file('IN-99999', { role: 'analyst' }))).toEqual(['NOT_FOUND']);
    const unit = await hub.knex.institutions('institutions').where('kind', 'SUPERVISING_UNIT').first();
    expect((await file(unit.id, { role: 'analyst' })).body.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'institutionId',
    });
    const first = dataOf(await file(target!.id, { role: 'analyst' }, '重复提交', 'c-1')).fileComplaint;
    const retry = dataOf(await file(target!.id, { role: 'analyst' }, '重复提交', 'c-1')).fileComplaint;
    expect(retry.id).toBe(first.id);
    expect(await hub.knex.institutions('complaints').where('subject', '重复提交')).toHaveLength(1);
  });
});
