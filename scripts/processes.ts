/**
 * Runs the hub's four services as their own processes (as `npm start` does, and as the benchmark measures them):
 * each logs to a file, and the group stops together.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const SERVICES = [
  { name: 'cases', entry: 'subgraphs/cases/main.ts' },
  { name: 'institutions', entry: 'subgraphs/institutions/main.ts' },
  { name: 'referrals', entry: 'subgraphs/referrals/main.ts' },
  { name: 'gateway', entry: 'gateway/main.ts' },
] as const;

/**
 * Node flags for every service. A larger young generation: a dashboard answer builds a few megabytes of short-lived
 * objects (parsed subgraph answers, result trees, JSON text), and with Node's default 16 MiB semi-spaces the
 * scavenger ran several times per request and promoted half-built results to the old generation.
 */
export const RUNTIME_FLAGS = ['--max-semi-space-size=64'];

export type ServiceName = (typeof SERVICES)[number]['name'];

export interface ProcessGroup {
  children: Map<ServiceName, ChildProcess>;
  /** Stops every process (SIGTERM, then SIGKILL after 5 s) and resolves when all have exited. */
  stop(): Promise<void>;
}

export function startProcesses(env: NodeJS.ProcessEnv, logDir: string, onUnexpectedExit: (name: ServiceName, detail: string) => void, only: readonly ServiceName[] = SERVICES.map((s) => s.name)): ProcessGroup {
  fs.mkdirSync(logDir, { recursive: true });
  const children = new Map<ServiceName, ChildProcess>();
  let stopping = false;
  for (const service of SERVICES.filter((s) => only.includes(s.name))) {
    const logFile = path.join(logDir, `${service.name}.log`);
    const out = fs.openSync(logFile, 'a');
    // JIEFEN_PROFILE_DIR writes a V8 CPU profile of each service there when it stops (Node refuses --cpu-prof in NODE_OPTIONS).
    const profile = env.JIEFEN_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', path.join(env.JIEFEN_PROFILE_DIR, service.name)] : [];
    const child = spawn(process.execPath, [...profile, ...RUNTIME_FLAGS, '--import', 'tsx', path.join(ROOT, service.entry)], { cwd: ROOT, env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    children.set(service.name, child);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      onUnexpectedExit(service.name, `${service.name} stopped (${signal ?? `exit code ${code}`}); the end of ${logFile}:\n${tail}`);
    });
  }
  return {
    children,
    async stop() {
      stopping = true;
      const running = [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
      const exited = Promise.all(running.map((c) => new Promise((done) => c.once('exit', done))));
      for (const child of running) child.kill('SIGTERM');
      const timer = setTimeout(() => { for (const child of running) child.kill('SIGKILL'); }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves when `url` answers 200, polling; rejects after `timeoutMs`. */
export async function waitUntilReady(url: string, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    if (Date.now() - started > timeoutMs) throw new Error(`${url} did not become ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
