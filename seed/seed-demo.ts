/** Fills the three subgraphs' stores with the demo world: institutions first, then cases and referrals in batches. */
import type { HubConfig } from '../kit/config.js';
import { isEmpty, type Knex } from '../kit/store.js';
import { openCasesStore } from '../subgraphs/cases/service.js';
import { finishCaseSeeding, writeCaseBatch } from '../subgraphs/cases/seed-writer.js';
import { openInstitutionsStore } from '../subgraphs/institutions/service.js';
import { writeInstitutions } from '../subgraphs/institutions/seed-writer.js';
import { openReferralsStore } from '../subgraphs/referrals/service.js';
import { finishReferralSeeding, writeReferralBatch } from '../subgraphs/referrals/seed-writer.js';
import { generateCases, generateInstitutions } from './world.js';
import { profileNamed } from '../subgraphs/cases/deadlines/deadlines.js';

export interface SeedOptions {
  cases: number;
  institutions: number;
  seed: number;
  /** Empty the stores first; without it, stores that already hold data are left alone. */
  reset?: boolean;
  onProgress?(casesWritten: number): void;
}

export const DEMO_DEFAULTS = { cases: 5000, institutions: 100, seed: 20261101 } as const;

/** Tables of each store, children first (the order they are emptied in). */
const TABLES = {
  cases: [
    'case_stats_running',
    'case_stats_cells',
    'outbox_deliveries',
    'case_deadlines',
    'case_events',
    'parties',
    'idempotency_keys',
    'case_number_counters',
    'cases',
  ],
  institutions: ['institution_categories', 'institutions'],
  referrals: ['referral_events', 'idempotency_keys', 'referral_number_counters', 'outbox_deliveries', 'referrals'],
};

async function empty(knex: Knex, tables: string[]): Promise<void> {
  await knex.transaction(async (trx) => {
    for (const table of tables) await trx(table).del();
  });
}

/** Returns false (and writes nothing) when the stores already hold data and no reset was asked for. */
export async function seedDemo(config: HubConfig, options: SeedOptions): Promise<boolean> {
  const stores = {
    cases: await openCasesStore(config),
    institutions: await openInstitutionsStore(config),
    referrals: await openReferralsStore(config),
  };
  try {
    if (options.reset) {
      for (const name of ['referrals', 'cases', 'institutions'] as const) await empty(stores[name], TABLES[name]);
    } else if (!(await isEmpty(stores.institutions, 'institutions')) || !(await isEmpty(stores.cases, 'cases'))) {
      return false;
    }
    const profile = profileNamed(config.jurisdiction);
    const institutions = generateInstitutions(options.institutions, options.seed);
    await writeInstitutions(stores.institutions, institutions);
    let written = 0;
    for (const batch of generateCases(options.cases, institutions, options.seed)) {
      await Promise.all([
        writeCaseBatch(stores.cases, batch.cases, profile),
        writeReferralBatch(stores.referrals, batch.referrals),
      ]);
      written += batch.cases.length;
      options.onProgress?.(written);
    }
    await finishCaseSeeding(stores.cases);
    await finishReferralSeeding(stores.referrals);
    return true;
  } finally {
    await Promise.all(Object.values(stores).map((knex) => knex.destroy()));
  }
}
