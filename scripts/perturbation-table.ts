/**
 * npm run ptable -- [--max-noise 3] [--variance 2] [--threshold 5] [--out subgraphs/cases/statistics/perturbation-table.json]
 * Designs the cell-key method's perturbation table (subgraphs/cases/statistics/perturbation-table.ts) and writes it as
 * JSON, then prints each row's noise, bias and second moment. The checked-in file is this script's output with its
 * defaults; a service configured with another JIEFEN_SUPPRESSION_THRESHOLD designs its own table the same way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { designPerturbationTable } from '../subgraphs/cases/statistics/perturbation-table.js';
import { ROOT } from './processes.js';

const { values } = parseArgs({
  options: {
    'max-noise': { type: 'string', default: '3' },
    variance: { type: 'string', default: '2' },
    threshold: { type: 'string', default: '5' },
    out: { type: 'string', default: 'subgraphs/cases/statistics/perturbation-table.json' },
  },
});
const table = designPerturbationTable({
  maxNoise: Number(values['max-noise']),
  variance: Number(values.variance),
  threshold: Number(values.threshold),
});
const out = path.resolve(ROOT, values.out);
fs.writeFileSync(out, `${JSON.stringify(table, null, 2)}\n`);
console.log(`wrote ${path.relative(ROOT, out)}`);
for (const row of table.rows) {
  const last = row === table.rows.at(-1) ? '+' : ' ';
  console.log(
    `true ${String(row.count).padStart(2)}${last}  mean ${row.mean.toFixed(3).padStart(6)}  second moment ${row.variance.toFixed(3)}  ` +
      row.noise.map((e) => `${e.noise >= 0 ? '+' : ''}${e.noise}: ${e.p.toFixed(4)}`).join('  '),
  );
}
