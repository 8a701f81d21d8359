/**
 * Working days by the official holiday calendar (official-calendar.json, with its source): weekends and public
 * holidays are off, make-up weekend days are working days. A date in a year the calendar does not cover is an
 * error, never a guess: every package that carries this calendar silently treats unknown years as plain weeks.
 */
import fs from 'node:fs';

interface OfficialCalendar {
  source: string;
  timeZone: string;
  years: number[];
  holidays: string[];
  makeUpWorkdays: string[];
}

const calendar: OfficialCalendar = JSON.parse(
  fs.readFileSync(new URL('./official-calendar.json', import.meta.url), 'utf8'),
);
const HOLIDAYS = new Set(calendar.holidays);
const MAKE_UP = new Set(calendar.makeUpWorkdays);
const YEARS = new Set(calendar.years);
/** China Standard Time has no daylight saving: a fixed offset. */
const OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

export class CalendarError extends Error {}

export const CALENDAR_SOURCE = calendar.source;
export const CALENDAR_YEARS: readonly number[] = calendar.years;

/** The local (China) calendar date of an instant, as YYYY-MM-DD. */
export function localDate(instant: Date): string {
  return new Date(instant.getTime() + OFFSET_MS).toISOString().slice(0, 10);
}

export function isWorkingDay(date: string): boolean {
  const year = Number(date.slice(0, 4));
  if (!YEARS.has(year)) {
    throw new CalendarError(
      `the holiday calendar has no data for ${year} (it covers ${calendar.years.join(', ')}): add that year's State Council notice`,
    );
  }
  if (MAKE_UP.has(date)) return true;
  if (HOLIDAYS.has(date)) return false;
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/**
 * The end of the N-th working day after `start`: counting begins with the next calendar day, skips weekends and
 * holidays, and counts make-up weekend days. The limit runs to the end of that day, China time.
 */
export function addWorkingDays(start: Date, days: number): Date {
  let date = localDate(start);
  let counted = 0;
  while (counted < days) {
    date = new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
    if (isWorkingDay(date)) counted++;
  }
  // 24:00 local time of that date, as an instant.
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS - OFFSET_MS - 1);
}
