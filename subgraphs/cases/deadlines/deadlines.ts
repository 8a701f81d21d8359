/**
 * Time limits from the active jurisdiction profile (jurisdictions.json: data, not code). A rule starts when a case
 * takes one of its `startsOn` actions (a new start replaces a running instance) and is met, or ends, on one of its
 * `endsOn` actions. The cases store keeps one row per instance, so overdue cases are found by index.
 */
import fs from 'node:fs';
import { addWorkingDays } from './working-days.js';

export interface DeadlineRule {
  rule: string;
  description: string;
  startsOn: string[];
  endsOn: string[];
  limit: { workingDays?: number; hours?: number; days?: number };
}

export interface JurisdictionProfile {
  name: string;
  rules: DeadlineRule[];
  /** Minimum shares per measure (statistics/rates.ts defines each), e.g. successRate 0.6. */
  targets: { successRate?: number; respondedWithin48Hours?: number; mediatedWithin30Days?: number };
}

export const PROFILES: Readonly<Record<string, JurisdictionProfile>> = JSON.parse(
  fs.readFileSync(new URL('./jurisdictions.json', import.meta.url), 'utf8'),
);

export function profileNamed(name: string): JurisdictionProfile {
  const profile = PROFILES[name];
  if (!profile)
    throw new Error(`JIEFEN_JURISDICTION '${name}' is not a profile (known: ${Object.keys(PROFILES).join(', ')})`);
  return profile;
}

export function dueAt(rule: DeadlineRule, start: Date): Date {
  const { workingDays, hours, days } = rule.limit;
  if (workingDays !== undefined) return addWorkingDays(start, workingDays);
  if (hours !== undefined) return new Date(start.getTime() + hours * 3_600_000);
  return new Date(start.getTime() + (days ?? 0) * 86_400_000);
}

export interface RunningDeadline {
  id: number;
  rule: string;
}

/** Rules whose running instances an action ends: those it meets, and those it starts afresh. */
export function rulesEndedBy(profile: JurisdictionProfile, action: string): string[] {
  return profile.rules.filter((r) => r.startsOn.includes(action) || r.endsOn.includes(action)).map((r) => r.rule);
}

/** What an action does to a case's deadlines: which running instances end, and which start. */
export function deadlineChanges(profile: JurisdictionProfile, running: RunningDeadline[], action: string, at: Date) {
  const end: number[] = [];
  const start: { rule: string; startedAt: Date; dueAt: Date }[] = [];
  for (const rule of profile.rules) {
    const starts = rule.startsOn.includes(action);
    if (starts || rule.endsOn.includes(action)) {
      for (const instance of running) if (instance.rule === rule.rule) end.push(instance.id);
    }
    if (starts) start.push({ rule: rule.rule, startedAt: at, dueAt: dueAt(rule, at) });
  }
  return { end, start };
}
