/**
 * Pages of the registry are kept between requests under the registry's generation (kit/generation.ts) only while
 * they are right: asked again with nothing written, only the generation is read; once a change is approved, the next
 * page shows it. A change request that is still open changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startHub, type Hub } from './support/hub.js';
import { activeInstitutions, REGISTRY, supervisor } from './support/registry.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ cases: 20, institutions: 100 });
});
afterAll(async () => {
  await hub?.close();
});

describe('kept registry pages', () => {
  it('are read once, then answered from the generation alone, and show an approved suspension in the next page', async () => {
    const [target] = await activeInstitutions(hub, 1);
    const { district } = await hub.knex.institutions('institutions').where('id', target!.id).first('district');
    const query = `query($district: String!) { institutions(first: 500, filter: { district: $district, status: ACTIVE }) { totalCount edges { node { id name } } } }`;
    const ids = (data: any) => data.institutions.edges.map((e: any) => e.node.id);
    hub.counters.institutions.reset();
    const before = dataOf(await hub.query(query, { district }));
    const computed = hub.counters.institutions.count();
    expect(ids(before)).toContain(target!.id);

    hub.counters.institutions.reset();
    expect(dataOf(await hub.query(query, { district }))).toEqual(before);
    expect(hub.counters.institutions.count()).toBe(1);
    expect(computed).toBeGreaterThan(1);

    const filed = dataOf(
      await hub.query(
        REGISTRY.request,
        { input: { kind: 'SUSPEND', institutionId: target!.id, reason: '投诉查实，暂停接收办件' } },
        supervisor(target!.unit),
      ),
    ).requestInstitutionChange;
    expect(dataOf(await hub.query(query, { district }))).toEqual(before);

    dataOf(
      await hub.query(REGISTRY.decide, { id: filed.id, decision: 'APPROVE', note: '同意暂停' }, { role: 'admin' }),
    );
    const after = dataOf(await hub.query(query, { district }));
    expect(ids(after)).toEqual(ids(before).filter((id: string) => id !== target!.id));
    expect(after.institutions.totalCount).toBe(before.institutions.totalCount - 1);
  });
});
