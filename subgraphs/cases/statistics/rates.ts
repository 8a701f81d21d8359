/**
 * Every rate and duration the statistics report, defined once, each beside its code. All figures describe a cohort:
 * the cases *received* (submitted) in the period, as they stand now. Rates are fractions of counted cases, exact
 * or perturbed as the counts are (numerator and denominator are both given); a rate with no cases to divide is null,
 * never 0.
 * test/case-statistics-rates.test.ts checks each on a hand-counted data set.
 */
/** The fields of a case its statistics depend on (a CaseRecord has them all). */
export interface CaseFacts {
  status: string;
  category: string;
  channel: string;
  district: string;
  submittedAt: string;
  dispatchedAt: string | null;
  acceptedAt: string | null;
  closedAt: string | null;
  institutionId: string | null;
  supervisingUnitId: string | null;
  /** The case's secret record key (statistics/disclosure.ts). */
  recordKey: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface Rate {
  numerator: number;
  denominator: number;
  /** numerator / denominator, at most 1, or null when the denominator is 0. */
  value: number | null;
}

/**
 * A share of counted cases. Published counts carry independent noise (statistics/disclosure.ts), so a numerator can
 * come out above its denominator: the share is then 1, and both counts are still given as published.
 */
export function rate(numerator: number, denominator: number): Rate {
  return { numerator, denominator, value: denominator === 0 ? null : Math.min(1, numerator / denominator) };
}

/** Cases still being worked on: not yet rejected, closed or withdrawn. */
export const OPEN_STATUSES = ['SUBMITTED', 'DISPATCHED', 'ACCEPTED'] as const;

/**
 * Success rate: resolved cases over closed mediations (resolved + unresolved). Rejected and withdrawn cases were
 * never mediated to an end, so they count in neither.
 */
export function successRate(resolved: number, unresolved: number): Rate {
  return rate(resolved, resolved + unresolved);
}

/**
 * Responded or diverted within 48 hours: of the cases dispatched to an institution, those the institution accepted
 * or rejected within 48 hours of the dispatch. A diversion restarts the clock (the case's dispatch time is the
 * latest dispatch), as the RESPOND_OR_DIVERT limit does, so a timely diversion counts as a timely response and the
 * new institution gets its own 48 hours. A case still waiting counts as not (yet) responded.
 */
export function respondedWithin48Hours(c: CaseFacts): boolean {
  if (!c.dispatchedAt) return false;
  const respondedAt = c.acceptedAt ?? (c.status === 'REJECTED' ? c.closedAt : null);
  return respondedAt !== null && Date.parse(respondedAt) - Date.parse(c.dispatchedAt) <= 48 * HOUR;
}
/** …as a share of the dispatched cases. */
export function respondedWithin48HoursShare(within: number, dispatched: number): Rate {
  return rate(within, dispatched);
}

/**
 * Mediated within 30 days: of the closed mediations (resolved + unresolved), those closed within 30 days of
 * acceptance. Mediations still running are not counted either way, so the share does not drift as time passes.
 */
export function mediatedWithin30Days(c: CaseFacts): boolean {
  return (
    isClosedMediation(c) && c.acceptedAt !== null && Date.parse(c.closedAt!) - Date.parse(c.acceptedAt) <= 30 * DAY
  );
}
/** …as a share of the closed mediations. */
export function mediatedWithin30DaysShare(within: number, resolved: number, unresolved: number): Rate {
  return rate(within, resolved + unresolved);
}

function isClosedMediation(c: CaseFacts): boolean {
  return (c.status === 'RESOLVED' || c.status === 'UNRESOLVED') && c.closedAt !== null;
}

/** Days from submission to closure of a closed mediation: whole days elapsed (23 hours is day 0), or null. */
export function closureDays(c: CaseFacts): number | null {
  if (!isClosedMediation(c)) return null;
  return Math.max(0, Math.floor((Date.parse(c.closedAt!) - Date.parse(c.submittedAt)) / DAY));
}

/**
 * A percentile of days to closure from a histogram (days → cases), by the nearest-rank method: the smallest day d
 * such that at least p of the cases closed within d days. Exact at day resolution; null without closed cases.
 * The median is p = 0.5 (the lower median for an even count), the 90th percentile p = 0.9.
 */
export function percentileDays(histogram: ReadonlyMap<number, number>, p: number): number | null {
  let total = 0;
  for (const n of histogram.values()) total += n;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const days of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(days)!;
    if (seen >= rank) return days;
  }
  return null;
}

/** The measures a jurisdiction profile can set a minimum for (`targets` in deadlines/jurisdictions.json). */
export const TARGET_MEASURES = ['successRate', 'respondedWithin48Hours', 'mediatedWithin30Days'] as const;
export type TargetMeasure = (typeof TARGET_MEASURES)[number];

export interface TargetCheck {
  measure: TargetMeasure;
  minimum: number;
  value: number | null;
  /** The measure is below its minimum; null when there is nothing to measure (or it is withheld). */
  missed: boolean | null;
}

export function checkTargets(
  targets: Partial<Record<TargetMeasure, number>>,
  rates: Record<TargetMeasure, Rate | null>,
): TargetCheck[] {
  return TARGET_MEASURES.filter((m) => targets[m] !== undefined).map((measure) => {
    const value = rates[measure]?.value ?? null;
    return { measure, minimum: targets[measure]!, value, missed: value === null ? null : value < targets[measure]! };
  });
}
