/**
 * Which figures a principal gets, and how they are protected: the cell-key method of the statistical offices (ABS
 * TableBuilder, ONS for the 2021 census, Destatis' cellKey and ptable packages, τ-ARGUS; ESSnet SDC handbook,
 * chapter 5). Who gets what is the table FIGURE_ACCESS in kit/figure-access.ts.
 *
 * The method. Every case gets a secret random record key, uniform in [0, RECORD_KEY_RANGE), written with the case
 * (commands.ts; migration 0009 gave existing cases theirs). The cube keeps, beside every counter of every atom, the
 * sum of the keys of the cases it counts, in the same transaction as the counts (cells.ts). A published count is a
 * set of cases; its cell key is the sum of their keys modulo the range (a sum over atoms, so no case is read), and
 * the perturbation table (perturbation-table.json, designed by perturbation-table.ts) maps (true count, cell key)
 * to the noise added. Hence:
 * - the same set of cases always gets the same noise: asking again, in another grouping, through `totalCount`, or in
 *   another principal's answer tells nothing new; a different set gets noise that cannot be predicted from it;
 * - noise is bounded by the table's maximum, no count is negative, none is from 1 to `threshold - 1`, and counts of
 *   `threshold + maxNoise` and more are unbiased (the table's rows say what holds below);
 * - every figure of a row is its own set (received, accepted, each status, open, overdue, the rates' parts), so
 *   figures are not additive: a total is not the sum of its published parts, and that is deliberate (the parts
 *   would otherwise pin the total's noise).
 * Rates are published numerator over published denominator; percentiles of days to closure are exact at whole
 * days, and published only where the published count of the closed mediations behind them guarantees a true count
 * of at least the threshold (`percentileGate`).
 *
 * Mixed figures. For an institution or a supervising unit a figure's cases split into its own (exact) and the rest;
 * it gets the exact own part plus the perturbed rest, whose noise is keyed on the rest alone: its own writes never
 * change the rest's noise, and subtracting its own part leaves a perturbed figure of other offices' cases.
 * A percentile mixes the rest in only when the rest alone passes the gate, and leaves it out when the rest is
 * published as 0 (it may hold a few cases), else it is withheld.
 *
 * Threat model. The attacker is any principal whose figures are perturbed, with the whole API: every filter and
 * grouping, `totalCount`, as many queries as it likes, and, for `intake`, writes (it can submit cases into a cell).
 * - Differencing (a total minus all but one part, overlapping filters): every published figure carries the noise of
 *   its own set, so a difference carries the noise of two sets: the hidden count is within twice the bound, not
 *   exact. Repeating a query returns the same noise, so it cannot be averaged away.
 * - Counting rows: case rows go only to a principal's own work and its grants' scopes (privacy/row-scope.ts), and
 *   `totalCount` is perturbed like the figures (same cases, same number).
 * - Write then watch: adding cases one at a time to a cell and watching for the count to appear at the threshold
 *   no longer tells the count: every write changes the set, hence its key and its noise, and 0 and counts from the
 *   threshold up can each come from several true counts.
 * Residual risk. Writes do let an attacker collect independent draws: after k writes it knows the cell held
 * (published − k) ± noise each time. Averaging K of them estimates the count with a standard error of
 * sqrt(variance / K); bounded noise also pins it once both extremes have been seen. Either needs tens of real case
 * submissions, each an audited, attributable case with its parties and timeline in the registry, which the steward's
 * audit (`auditEvents`) shows; the README gives the numbers for the checked-in table. Medians are exact: a cell
 * published at or above its gate discloses its middle case's days to closure.
 */
import fs from 'node:fs';
import { randomInt } from 'node:crypto';
import type { Principal } from '../../../kit/principal.js';
import { FIGURE_ACCESS } from '../../../kit/figure-access.js';
import { designPerturbationTable, type PerturbationTable } from './perturbation-table.js';

/** Record keys are uniform integers in [0, RECORD_KEY_RANGE); a cell key is a key sum modulo this range. */
export const RECORD_KEY_RANGE = 2 ** 31;

/** A fresh secret record key, from the operating system's cryptographic generator. */
export const newRecordKey = (): number => randomInt(0, RECORD_KEY_RANGE);

/** The perturbation table as a lookup: a count and its set's key sum → the published count. */
export class CellKeyPerturbation {
  readonly threshold: number;
  readonly maxNoise: number;
  private readonly rows: { uppers: number[]; noise: number[] }[];

  constructor(readonly table: PerturbationTable) {
    this.threshold = table.parameters.threshold;
    this.maxNoise = table.parameters.maxNoise;
    this.rows = table.rows.map((row) => ({
      uppers: row.noise.map((e) => e.upper),
      noise: row.noise.map((e) => e.noise),
    }));
  }

  /** The noise for a set of `count` cases whose record keys sum to `keySum`. */
  noise(count: number, keySum: number): number {
    if (count <= 0) return 0;
    const row = this.rows[Math.min(count, this.rows.length - 1)]!;
    const cellKey = (((keySum % RECORD_KEY_RANGE) + RECORD_KEY_RANGE) % RECORD_KEY_RANGE) / RECORD_KEY_RANGE;
    let i = 0;
    while (i < row.uppers.length - 1 && row.uppers[i]! <= cellKey) i++;
    return row.noise[i]!;
  }

  publish(count: number, keySum: number): number {
    return count + this.noise(count, keySum);
  }
}

const CHECKED_IN = new URL('./perturbation-table.json', import.meta.url);

/**
 * The checked-in perturbation table, or, for a threshold it was not designed for, a table designed the same way
 * with that threshold (what `npm run ptable -- --threshold N` would write).
 */
export function loadPerturbation(threshold: number): CellKeyPerturbation {
  const table = JSON.parse(fs.readFileSync(CHECKED_IN, 'utf8')) as PerturbationTable;
  if (table.parameters.threshold === threshold) return new CellKeyPerturbation(table);
  return new CellKeyPerturbation(designPerturbationTable({ ...table.parameters, threshold }));
}

/** The part of a figure a principal sees exactly: everything, nothing, or the cases of one cube column's value. */
export type ExactPart = 'everything' | 'nothing' | { column: 'institution_id' | 'supervising_unit_id'; value: string };

export interface FigurePolicy {
  exact: ExactPart;
  perturbation: CellKeyPerturbation;
}

export function figurePolicy(principal: Principal, perturbation: CellKeyPerturbation): FigurePolicy {
  const access = FIGURE_ACCESS[principal.role];
  if (access === 'exact') return { exact: 'everything', perturbation };
  if (access === 'exact for own cases' && principal.org) {
    return {
      exact: {
        column: principal.role === 'institution' ? 'institution_id' : 'supervising_unit_id',
        value: principal.org,
      },
      perturbation,
    };
  }
  return { exact: 'nothing', perturbation };
}

/** A stable text of the policy, for keys of kept values. */
export const policyKey = (policy: FigurePolicy) => JSON.stringify(policy.exact);

/** SQL (1 or 0, and its bindings) saying whether a row under `alias`, of the cube or of cases, is in the exact part. */
export function exactPartSql(policy: FigurePolicy, alias: string): { sql: string; bindings: string[] } {
  if (policy.exact === 'everything') return { sql: '1', bindings: [] };
  if (policy.exact === 'nothing') return { sql: '0', bindings: [] };
  return { sql: `(case when ${alias}.${policy.exact.column} = ? then 1 else 0 end)`, bindings: [policy.exact.value] };
}

/** A set of cases outside the exact part: how many, and their record keys' sum. */
export interface Protected {
  count: number;
  keySum: number;
}

/** A figure's cases as read: the exact part's count, and the rest as one protected set. */
export interface FigureParts {
  exact: number;
  rest: Protected;
}

export const noParts = (): FigureParts => ({ exact: 0, rest: { count: 0, keySum: 0 } });

/** Adds one grouped row of a read (its `exact_part` flag, a count and a key sum) to a figure's parts. */
export function addToParts(parts: FigureParts, exactPart: unknown, count: number, keySum: number): FigureParts {
  if (Number(exactPart) === 1) parts.exact += count;
  else {
    parts.rest.count += count;
    parts.rest.keySum += keySum;
  }
  return parts;
}

/** A published figure: the exact part as it is, the rest perturbed as one set. */
export function publishFigure(policy: FigurePolicy, parts: FigureParts): number {
  return parts.exact + policy.perturbation.publish(parts.rest.count, parts.rest.keySum);
}

/** Which closed mediations a percentile is taken over: all of them, only the exact part's, or none (withheld). */
export type PercentileGate = 'all' | 'exact part' | 'withheld';

/**
 * Decided on the rest's published count alone, so the gate itself tells nothing more: at `threshold + maxNoise` or
 * above the rest truly holds at least `threshold` cases and is mixed in; published as 0 it is left out (it may hold
 * a few cases); in between the percentile is withheld.
 */
export function percentileGate(policy: FigurePolicy, restClosed: Protected): PercentileGate {
  const published = policy.perturbation.publish(restClosed.count, restClosed.keySum);
  if (published === 0) return 'exact part';
  return published >= policy.perturbation.threshold + policy.perturbation.maxNoise ? 'all' : 'withheld';
}
