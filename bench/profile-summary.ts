/**
 * npx tsx bench/profile-summary.ts FILE.cpuprofile [N] [LAST_SECONDS]
 * The top N self-time costs of a V8 CPU profile, by function and by package, to name where a service spends.
 * LAST_SECONDS counts only the profile's final seconds (the load, not the start-up), idle time left out.
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  endTime: number;
  startTime: number;
}

export function summarize(file: string, top = 15, lastSeconds?: number) {
  const profile: Profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const from = lastSeconds ? profile.endTime - lastSeconds * 1e6 : -Infinity;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < from || (lastSeconds && byId.get(id)!.callFrame.functionName === '(idle)')) return;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '');
    byFunction.set(
      `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`,
      (byFunction.get(`${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`) ?? 0) + us,
    );
    const pkg = url.includes('node_modules/')
      ? url
          .split('node_modules/')
          .at(-1)!
          .split('/')
          .slice(0, url.split('node_modules/').at(-1)!.startsWith('@') ? 2 : 1)
          .join('/')
      : url.startsWith('node:') || url === ''
        ? functionName.startsWith('(')
          ? functionName
          : 'node internals'
        : 'jiefen-hub';
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ what: k, share: us / total }));
  return { totalMs: total / 1000, byPackage: rank(byPackage), byFunction: rank(byFunction) };
}

if (process.argv[1]?.endsWith('profile-summary.ts')) {
  const result = summarize(
    process.argv[2]!,
    Number(process.argv[3] ?? 15),
    process.argv[4] ? Number(process.argv[4]) : undefined,
  );
  console.log(`total sampled: ${result.totalMs.toFixed(0)} ms`);
  for (const section of ['byPackage', 'byFunction'] as const) {
    console.log(`\n${section}:`);
    for (const row of result[section]) console.log(`${(row.share * 100).toFixed(1).padStart(5)}%  ${row.what}`);
  }
}
