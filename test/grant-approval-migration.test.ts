/**
 * The four-eyes migration on both stores: a grant given before the rule stays in force only when it is for one
 * category of one case; a wider one awaits a second steward's approval, as a new one would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Knex, type Migration } from '../kit/store.js';
import { migrations } from '../subgraphs/cases/migrations/index.js';
import { GrantStore } from '../subgraphs/cases/privacy/grants.js';
import { createDatabases, postgresReachable } from './support/postgres.js';

const reachable = await postgresReachable();
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const stores: [string, boolean, () => Promise<(list: Migration[]) => Promise<Knex>>][] = [
  [
    'sqlite',
    true,
    async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiefen-grants-'));
      cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
      return (list) => openStore({ name: 'cases', dataDir, migrations: list });
    },
  ],
  [
    'PostgreSQL',
    reachable,
    async () => {
      const databases = await createDatabases(['cases']);
      cleanups.push(() => databases.drop());
      return (list) => openStore({ name: 'cases', url: databases.urls.cases, dataDir: '', migrations: list });
    },
  ],
];

const GIVEN = '2026-01-05T08:00:00.000Z';
const grantRow = (id: string, categories: string, scope: Record<string, string>) => ({
  id,
  grantee: 'earlier-analyst',
  categories,
  purpose: 'study before the rule',
  expires_at: '2099-01-01T00:00:00.000Z',
  granted_by: 'test-steward',
  granted_at: GIVEN,
  ...scope,
});

describe.each(stores)('migration 0009 on %s', (_name, available, store) => {
  it.skipIf(!available)(
    'keeps narrow grants in force from their grant and sets wide ones awaiting approval',
    async () => {
      const open = await store();
      const before = await open(migrations.filter((m) => m.name < '0009_grant_approval'));
      await before('consent_grants').insert([
        grantRow('GR-one-case-one-category', 'NAME', { scope_case_id: '310000-2026-0000001' }),
        grantRow('GR-one-case-two-categories', 'CLAIMS,NAME', { scope_case_id: '310000-2026-0000001' }),
        grantRow('GR-district', 'NAME', { scope_district: '310104' }),
        grantRow('GR-everything', 'CLAIMS', {}),
      ]);
      await before.destroy();
      const after = await open(migrations);
      try {
        const rows = await after('consent_grants').orderBy('id').select('id', 'approved_at', 'approved_by');
        expect(
          rows.map((r: any) => [
            r.id,
            r.approved_at === null ? null : new Date(r.approved_at).toISOString(),
            r.approved_by,
          ]),
        ).toEqual([
          ['GR-district', null, null],
          ['GR-everything', null, null],
          ['GR-one-case-one-category', GIVEN, null],
          ['GR-one-case-two-categories', null, null],
        ]);
        const inForce = await new GrantStore(after, () => new Date('2026-06-01T00:00:00.000Z')).activeFor(
          'earlier-analyst',
        );
        expect(inForce.map((g) => g.id)).toEqual(['GR-one-case-one-category']);
      } finally {
        await after.destroy();
      }
    },
  );
});
