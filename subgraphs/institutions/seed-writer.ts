/** Writes generated demo institutions into this subgraph's store, in one transaction. */
import { insertChunked, type Knex } from '../../kit/store.js';
import { raiseGenerationIn } from '../../kit/generation.js';
import { REGISTRY_GENERATION, type InstitutionRecord } from './store.js';

/** A seeded institution: the registry record with its liaison and categories spelled out. */
export type InstitutionSeed = Omit<InstitutionRecord, 'seq' | 'liaison' | 'statusChangedAt'> & {
  liaisonName: string;
  liaisonPhone: string;
  categories: string[];
};

export async function writeInstitutions(knex: Knex, institutions: InstitutionSeed[]): Promise<void> {
  await knex.transaction(async (trx) => {
    // Supervising units first: institutions reference them.
    const ordered = [
      ...institutions.filter((i) => !i.supervisingUnitId),
      ...institutions.filter((i) => i.supervisingUnitId),
    ];
    await insertChunked(
      trx,
      'institutions',
      ordered.map((i) => ({
        id: i.id,
        name: i.name,
        kind: i.kind,
        status: i.status,
        district: i.district,
        street: i.street,
        community: i.community,
        supervising_unit_id: i.supervisingUnitId,
        liaison_name: i.liaisonName,
        liaison_phone: i.liaisonPhone,
        listed: i.listed,
        created_at: i.createdAt,
        status_changed_at: i.createdAt,
      })),
    );
    await insertChunked(
      trx,
      'institution_categories',
      institutions.flatMap((i) => i.categories.map((category) => ({ institution_id: i.id, category }))),
    );
    await raiseGenerationIn(trx, REGISTRY_GENERATION);
  });
}
