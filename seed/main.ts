/**
 * npm run seed -- [--cases N] [--institutions N] [--seed S] [--reset]
 * Generates the demo world into the configured stores (sqlite under JIEFEN_DATA_DIR, or the *_DATABASE_URLs).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../kit/config.js';
import { DEMO_DEFAULTS, seedDemo } from './seed-demo.js';

function count(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < 0 || value > max) {
    console.error(`--${name} must be a whole number from 0 to ${max}, got '${raw}'`);
    process.exit(2);
  }
  return value;
}

const { values } = parseArgs({
  options: {
    cases: { type: 'string' },
    institutions: { type: 'string' },
    seed: { type: 'string' },
    reset: { type: 'boolean', default: false },
  },
});

const options = {
  cases: count('cases', values.cases, DEMO_DEFAULTS.cases, 10_000_000),
  institutions: count('institutions', values.institutions, DEMO_DEFAULTS.institutions, 100_000),
  seed: count('seed', values.seed, DEMO_DEFAULTS.seed, 2 ** 32 - 1),
  reset: values.reset,
};
if (options.institutions < 30) {
  console.error('--institutions must be at least 30 (every district needs its committee, court and commission)');
  process.exit(2);
}

const started = Date.now();
let lastReport = 0;
const seeded = await seedDemo(loadConfig(), {
  ...options,
  onProgress(written) {
    if (Date.now() - lastReport > 2000 || written === options.cases) {
      lastReport = Date.now();
      console.log(
        `${written} / ${options.cases} cases (${((Date.now() - started) / 1000).toFixed(1)} s, ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB)`,
      );
    }
  },
});
if (!seeded) {
  console.error('the stores already hold data: pass --reset to replace it');
  process.exit(1);
}
console.log(
  `seeded ${options.institutions} institutions and ${options.cases} cases in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
