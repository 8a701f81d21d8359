/**
 * Record numbers of the form `<prefix><year>-<zero-padded sequence>`, unique and gap-free per year because the
 * counter moves inside the transaction that creates the record (a rollback gives the number back).
 */
import type { Knex } from 'knex';
import { rowsOf } from './store.js';

export interface YearlyNumbering {
  /** Counter table: `year` (primary key) and `last`. */
  counters: string;
  /** The records' table and id column: the first number of a year continues after any id already there (seeded, imported). */
  records: string;
  idColumn: string;
  /** What comes before the year, e.g. `310000-` or `RF-`. */
  prefix: string;
  width: number;
}

export async function nextYearlyNumber(
  trx: Knex.Transaction,
  numbering: YearlyNumbering,
  year: number,
): Promise<string> {
  const prefix = `${numbering.prefix}${year}-`;
  let [row] = rowsOf<{ last: number }>(
    await trx.raw(`update ?? set last = last + 1 where year = ? returning last`, [numbering.counters, year]),
  );
  if (!row) {
    const [max] = rowsOf<{ n: string | null }>(
      await trx.raw(`select max(??) as n from ?? where ?? like ?`, [
        numbering.idColumn,
        numbering.records,
        numbering.idColumn,
        `${prefix}%`,
      ]),
    );
    const start = max?.n ? Number(max.n.slice(prefix.length)) + 1 : 1;
    [row] = rowsOf<{ last: number }>(
      await trx.raw(
        `insert into ?? (year, last) values (?, ?) on conflict (year) do update set last = ??.last + 1 returning last`,
        [numbering.counters, year, start, numbering.counters],
      ),
    );
  }
  return `${prefix}${String(row!.last).padStart(numbering.width, '0')}`;
}
