import { describe, expect, it } from 'vitest';
import { isWorkday } from 'chinese-days';
import {
  addWorkingDays,
  CALENDAR_YEARS,
  CalendarError,
  isWorkingDay,
} from '../subgraphs/cases/deadlines/working-days.js';
import { deadlineChanges, dueAt, profileNamed, PROFILES } from '../subgraphs/cases/deadlines/deadlines.js';

const at = (iso: string) => new Date(iso);

describe('the official holiday calendar', () => {
  it('agrees with the chinese-days package on every day of the years it covers', () => {
    const disagreements: string[] = [];
    for (const year of CALENDAR_YEARS) {
      for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
        const day = new Date(t).toISOString().slice(0, 10);
        if (isWorkingDay(day) !== isWorkday(day)) disagreements.push(day);
      }
    }
    expect(CALENDAR_YEARS).toEqual([2024, 2025, 2026]);
    expect(disagreements).toEqual([]);
  });

  it('refuses a year it has no data for, instead of guessing', () => {
    expect(() => isWorkingDay('2027-10-01')).toThrow(CalendarError);
    expect(() => isWorkingDay('2027-10-01')).toThrow(/no data for 2027/);
    expect(() => addWorkingDays(at('2026-12-30T02:00:00Z'), 3)).toThrow(/no data for 2027/);
  });
});

describe('N working days', () => {
  it('starts on the next calendar day and ends at midnight China time', () => {
    // Monday 2026-03-02 10:00 in Shanghai: Tue, Wed, Thu → due at the end of Thursday 2026-03-05 (16:00 UTC).
    expect(addWorkingDays(at('2026-03-02T02:00:00Z'), 3).toISOString()).toBe('2026-03-05T15:59:59.999Z');
    // 23:30 on Friday in Shanghai (15:30 UTC) is still Friday there: one working day is Monday.
    expect(addWorkingDays(at('2026-03-06T15:30:00Z'), 1).toISOString()).toBe('2026-03-09T15:59:59.999Z');
  });

  it('skips the Spring Festival holiday and counts the make-up Saturday after it', () => {
    // Friday 2026-02-13: Sat 14 is a make-up working day (1), 15-23 are holidays, Tue 24 (2), Wed 25 (3).
    expect(addWorkingDays(at('2026-02-13T02:00:00Z'), 3).toISOString()).toBe('2026-02-25T15:59:59.999Z');
    // Thursday 2026-02-26: Fri 27 (1), Sat 28 is a make-up working day (2), Mon 2 March (3).
    expect(addWorkingDays(at('2026-02-26T02:00:00Z'), 3).toISOString()).toBe('2026-03-02T15:59:59.999Z');
  });

  it('counts a make-up Sunday before the May Day holiday (2024)', () => {
    // Friday 2024-04-26: Sun 28 April is a make-up working day (1), Mon 29 (2), Tue 30 (3); 1-5 May are holidays.
    expect(addWorkingDays(at('2024-04-26T02:00:00Z'), 3).toISOString()).toBe('2024-04-30T15:59:59.999Z');
    expect(addWorkingDays(at('2024-04-26T02:00:00Z'), 4).toISOString()).toBe('2024-05-06T15:59:59.999Z');
  });
});

describe('jurisdiction profiles', () => {
  it("hold the sources' limits as data", () => {
    expect(Object.keys(PROFILES).sort()).toEqual(['hangzhou-binjiang', 'junan', 'shanghai']);
    expect(profileNamed('shanghai').rules.map((r) => [r.rule, r.limit])).toEqual([
      ['CONTACT_RESPONDENT', { workingDays: 3 }],
    ]);
    expect(profileNamed('hangzhou-binjiang').rules.map((r) => [r.rule, r.limit])).toEqual([
      ['RESPOND_OR_DIVERT', { hours: 48 }],
      ['FINISH_MEDIATION', { days: 30 }],
    ]);
    expect(profileNamed('junan').rules.map((r) => [r.rule, r.limit])).toEqual([
      ['CONTACT_RESPONDENT', { hours: 12 }],
      ['CLOSE_CASE', { days: 15 }],
    ]);
    expect(() => profileNamed('atlantis')).toThrow(/not a profile/);
  });

  it('computes hours and calendar days, and restarts a running limit when a case is diverted', () => {
    const hangzhou = profileNamed('hangzhou-binjiang');
    expect(dueAt(hangzhou.rules[0]!, at('2026-02-16T00:00:00Z')).toISOString()).toBe('2026-02-18T00:00:00.000Z');
    expect(dueAt(hangzhou.rules[1]!, at('2026-02-16T00:00:00Z')).toISOString()).toBe('2026-03-18T00:00:00.000Z');
    const diverted = deadlineChanges(
      hangzhou,
      [{ id: 7, rule: 'RESPOND_OR_DIVERT' }],
      'DIVERT',
      at('2026-05-06T00:00:00Z'),
    );
    expect(diverted.end).toEqual([7]);
    expect(diverted.start.map((d) => d.rule)).toEqual(['RESPOND_OR_DIVERT']);
    const accepted = deadlineChanges(
      hangzhou,
      [{ id: 8, rule: 'RESPOND_OR_DIVERT' }],
      'ACCEPT',
      at('2026-05-06T00:00:00Z'),
    );
    expect(accepted.end).toEqual([8]);
    expect(accepted.start.map((d) => d.rule)).toEqual(['FINISH_MEDIATION']);
  });
});
