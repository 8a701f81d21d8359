/**
 * Designs the perturbation table of the cell-key method (statistics/disclosure.ts applies it): for each true count,
 * the probabilities of the noise added to it. The construction follows the maximum-entropy approach of the
 * statistical offices (Destatis' ptable package, Giessing 2016; the ESSnet SDC handbook, chapter 5): among the noise
 * distributions that
 *   - move a count by at most `maxNoise`,
 *   - never publish a negative count or one from 1 to `threshold - 1`,
 *   - have zero mean wherever the allowed targets lie on both sides of the true count,
 *   - and a second moment of at most `variance`,
 * take the one of maximum entropy (the least predictable). Zero stays zero: an empty cell has no records, hence no key.
 * Where the constraints cannot all hold the table says so in its row (`mean`, `variance`): a count of 1 can only
 * become 0; counts just under and at the threshold can only move up; counts whose allowed targets are few take the
 * smallest second moment those targets allow. From `threshold + maxNoise` upwards every row is the same symmetric,
 * unbiased distribution, and the table's last row stands for all larger counts.
 *
 * The design is data, not code that runs on every answer: `npm run ptable` (scripts/perturbation-table.ts) writes it
 * to statistics/perturbation-table.json, which is checked in; the service designs a table itself only when it is
 * configured with a threshold that file was not made for.
 */

export interface PerturbationParameters {
  /** The largest noise, either way. */
  maxNoise: number;
  /** The bound on the noise's second moment (its variance where the mean is zero). */
  variance: number;
  /** Published counts are 0 or at least this. */
  threshold: number;
}

export interface NoiseEntry {
  noise: number;
  p: number;
  /** Upper end of the entry's interval of cell keys in [0, 1): entries are in order of noise, and the last ends at 1. */
  upper: number;
}

export interface PerturbationRow {
  count: number;
  /** The noise's mean (its bias) and second moment, as designed. */
  mean: number;
  variance: number;
  noise: NoiseEntry[];
}

export interface PerturbationTable {
  method: string;
  parameters: PerturbationParameters;
  generatedBy: string;
  /** Row i is for a true count of i; the last row is for that count and every larger one. */
  rows: PerturbationRow[];
}

const DIGITS = 1e8;

/** The noise values a true count may receive: within the bound, and landing on 0 or at least the threshold. */
export function allowedNoise(count: number, { maxNoise, threshold }: PerturbationParameters): number[] {
  const noise: number[] = [];
  for (let target = Math.max(0, count - maxNoise); target <= count + maxNoise; target++) {
    if (target === 0 || target >= threshold) noise.push(target - count);
  }
  return noise;
}

/** p_v proportional to exp(a v - b v^2): the maximum-entropy family under a mean and a second-moment constraint. */
function tilted(values: number[], a: number, b: number): number[] {
  const exponents = values.map((v) => a * v - b * v * v);
  const top = Math.max(...exponents);
  const weights = exponents.map((e) => Math.exp(e - top));
  const total = weights.reduce((s, w) => s + w, 0);
  return weights.map((w) => w / total);
}

const moment = (values: number[], p: number[], power: number) => values.reduce((s, v, i) => s + p[i]! * v ** power, 0);

/**
 * Solves for the multipliers by Newton's method on the convex dual (log partition function minus the targets),
 * with a backtracking step. `meanTarget` null leaves the mean free (a = 0).
 */
function solve(values: number[], meanTarget: number | null, secondTarget: number | null): number[] {
  let a = 0;
  let b = 0;
  const freeMean = meanTarget === null;
  const freeSecond = secondTarget === null;
  const dual = (x: number, y: number) => {
    const exponents = values.map((v) => x * v - y * v * v);
    const top = Math.max(...exponents);
    const log = top + Math.log(exponents.reduce((s, e) => s + Math.exp(e - top), 0));
    return log - (freeMean ? 0 : x * meanTarget) + (freeSecond ? 0 : y * secondTarget);
  };
  for (let iteration = 0; iteration < 500; iteration++) {
    const p = tilted(values, a, b);
    const m1 = moment(values, p, 1);
    const m2 = moment(values, p, 2);
    const ga = freeMean ? 0 : m1 - meanTarget;
    const gb = freeSecond ? 0 : secondTarget - m2;
    if (Math.abs(ga) < 1e-13 && Math.abs(gb) < 1e-13) break;
    const varV = moment(values, p, 2) - m1 * m1;
    const cov = moment(values, p, 3) - m1 * m2;
    const varV2 = moment(values, p, 4) - m2 * m2;
    // Newton step on the free multipliers only.
    let da = 0;
    let db = 0;
    if (freeMean) db = -gb / varV2;
    else if (freeSecond) da = -ga / varV;
    else {
      const det = varV * varV2 - cov * cov;
      da = -(varV2 * ga + cov * gb) / det;
      db = -(cov * ga + varV * gb) / det;
    }
    let step = 1;
    const before = dual(a, b);
    while (step > 1e-12 && !(dual(a + step * da, b + step * db) <= before)) step /= 2;
    a += step * da;
    b += step * db;
  }
  return tilted(values, a, b);
}

/** The smallest second moment a zero-mean distribution on these values can have: the two values nearest zero. */
function smallestZeroMeanSecondMoment(values: number[]): { second: number; p: number[] } {
  if (values.includes(0)) return { second: 0, p: values.map((v) => (v === 0 ? 1 : 0)) };
  const below = Math.max(...values.filter((v) => v < 0));
  const above = Math.min(...values.filter((v) => v > 0));
  const pAbove = -below / (above - below);
  return { second: -below * above, p: values.map((v) => (v === above ? pAbove : v === below ? 1 - pAbove : 0)) };
}

function rowFor(count: number, parameters: PerturbationParameters): PerturbationRow {
  const values = allowedNoise(count, parameters);
  let p: number[];
  if (values.length === 1) {
    p = [1];
  } else if (values.some((v) => v < 0) && values.some((v) => v > 0)) {
    // Both sides: unbiased. The second moment is V where the values allow it, else the least they allow.
    const uniformMean = solve(values, 0, null);
    const least = smallestZeroMeanSecondMoment(values);
    if (moment(values, uniformMean, 2) <= parameters.variance) p = uniformMean;
    else if (least.second >= parameters.variance - 1e-9) p = least.p;
    else p = solve(values, 0, parameters.variance);
  } else {
    // One side only (the count can only move up): no zero mean; the least biased spread under the same bound.
    const unconstrained = values.map(() => 1 / values.length);
    p =
      moment(values, unconstrained, 2) <= parameters.variance
        ? unconstrained
        : solve(values, null, parameters.variance);
  }
  // Rounded to fixed digits, so the checked-in file is exact and the intervals end at 1.
  const rounded = p.map((x) => Math.round(x * DIGITS) / DIGITS);
  const largest = rounded.indexOf(Math.max(...rounded));
  rounded[largest] = Math.round((rounded[largest]! + 1 - rounded.reduce((s, x) => s + x, 0)) * DIGITS) / DIGITS;
  let upper = 0;
  const noise = values
    .map((v, i) => {
      upper = Math.round((upper + rounded[i]!) * DIGITS) / DIGITS;
      return { noise: v, p: rounded[i]!, upper };
    })
    .filter((e) => e.p > 0);
  noise[noise.length - 1]!.upper = 1;
  // `+ 0` writes a negative zero as 0, as JSON does.
  const round = (x: number) => Math.round(x * 1e6) / 1e6 + 0;
  return { count, mean: round(moment(values, rounded, 1)), variance: round(moment(values, rounded, 2)), noise };
}

/** The whole table: rows 0 to `threshold + maxNoise`, the last standing for all larger counts. */
export function designPerturbationTable(parameters: PerturbationParameters): PerturbationTable {
  if (!Number.isInteger(parameters.maxNoise) || parameters.maxNoise < 1)
    throw new Error('maxNoise must be a positive integer');
  if (!Number.isInteger(parameters.threshold) || parameters.threshold < 1)
    throw new Error('threshold must be a positive integer');
  if (!(parameters.variance > 0)) throw new Error('variance must be positive');
  const rows: PerturbationRow[] = [];
  for (let count = 0; count <= parameters.threshold + parameters.maxNoise; count++)
    rows.push(rowFor(count, parameters));
  return {
    method:
      'cell-key method, maximum-entropy perturbation table (see subgraphs/cases/statistics/perturbation-table.ts)',
    parameters,
    generatedBy: `npm run ptable -- --max-noise ${parameters.maxNoise} --variance ${parameters.variance} --threshold ${parameters.threshold}`,
    rows,
  };
}
