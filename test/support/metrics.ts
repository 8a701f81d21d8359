/** Reads a service's `/metrics` as Prometheus's text format, for tests to look series up by name and labels. */

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a line of the Prometheus text format: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    series.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return series;
}

/** A scrape: the series, and the sum of those named so whose labels include the given ones (0 when none). */
export async function scrape(serviceUrl: string, headers: Record<string, string> = {}) {
  const response = await fetch(serviceUrl.replace(/\/graphql$/, '/metrics'), { headers });
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  const text = await response.text();
  const series = parseMetrics(text);
  return {
    text,
    series,
    value(name: string, labels: Record<string, string> = {}): number {
      return series
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((sum, s) => sum + s.value, 0);
    },
    has(name: string, labels: Record<string, string> = {}): boolean {
      return series.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    },
  };
}
