/**
 * Runs the hub's four services as their own processes (as `npm start` does, and as the benchmark measures them):
 * each logs to a file, a service that exits can be started again with backoff, and the group stops together.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * A subgraph's young generation is larger than Node's default: a dashboard answer builds a few megabytes of
 * short-lived objects (parsed rows, result trees, JSON text), and with 16 MiB semi-spaces the scavenger ran several
 * times per request and promoted half-built results to the old generation.
 */
const SUBGRAPH_FLAGS = ['--max-semi-space-size=64'];

/** Each service, and the Node flags it runs with. */
export const SERVICES = [
  { name: 'cases', entry: 'subgraphs/cases/main.ts', flags: SUBGRAPH_FLAGS },
  { name: 'institutions', entry: 'subgraphs/institutions/main.ts', flags: SUBGRAPH_FLAGS },
  { name: 'referrals', entry: 'subgraphs/referrals/main.ts', flags: SUBGRAPH_FLAGS },
  // A bounded old generation makes V8 collect before it grows: documents of hundreds of kilobytes each left their
  // garbage standing until the heap neared its default limit. The gateway's caches are bounded in bytes well below it.
  { name: 'gateway', entry: 'gateway/main.ts', flags: ['--max-old-space-size=384'] },
] as const;

/** The Node flags a service runs with. */
export function flagsOf(name: ServiceName): readonly string[] {
  return SERVICES.find((s) => s.name === name)!.flags;
}

export type ServiceName = (typeof SERVICES)[number]['name'];

/** How `npm start` brings a service back that exited: after a delay that doubles up to a ceiling. */
export const RESTART_POLICY = {
  firstDelayMs: 250,
  maxDelayMs: 10_000,
  /** A service that ran this long before it exited starts again after the first delay (it was not crash-looping). */
  stableAfterMs: 30_000,
  /** How long a stopping service gets to finish its requests and close its store before it is killed. */
  stopGraceMs: 5000,
} as const;

export interface ProcessGroup {
  /** Each service's current process (a restarted service's new one). */
  children: Map<ServiceName, ChildProcess>;
  /** Stops every process (SIGTERM, then SIGKILL after the grace period) and resolves when all have exited. */
  stop(): Promise<void>;
}

export interface ProcessOptions {
  /** The services to run (default all four). */
  only?: readonly ServiceName[];
  /** Start a service again when it exits on its own, after RESTART_POLICY's backoff (`onUnexpectedExit` still hears of it). */
  restart?: boolean;
}

/**
 * Each service is spawned with an IPC channel it never uses for messages: when this process ends, however it ends
 * (even SIGKILL), the channel closes and the service stops itself (kit/service.ts), so none is left behind.
 */
export function startProcesses(
  env: NodeJS.ProcessEnv,
  logDir: string,
  onUnexpectedExit: (name: ServiceName, detail: string, restartInMs?: number) => void,
  options: ProcessOptions | readonly ServiceName[] = {},
): ProcessGroup {
  const { only = SERVICES.map((s) => s.name), restart = false } = Array.isArray(options)
    ? { only: options as readonly ServiceName[] }
    : (options as ProcessOptions);
  fs.mkdirSync(logDir, { recursive: true });
  const children = new Map<ServiceName, ChildProcess>();
  const pendingRestarts = new Set<NodeJS.Timeout>();
  let stopping = false;
  const spawnService = (service: (typeof SERVICES)[number], delayMs: number) => {
    const logFile = path.join(logDir, `${service.name}.log`);
    const out = fs.openSync(logFile, 'a');
    // JIEFEN_PROFILE_DIR writes a V8 CPU profile of each service there when it stops (Node refuses --cpu-prof in NODE_OPTIONS).
    const profile = env.JIEFEN_PROFILE_DIR
      ? ['--cpu-prof', '--cpu-prof-dir', path.join(env.JIEFEN_PROFILE_DIR, service.name)]
      : [];
    const child = spawn(
      process.execPath,
      [...profile, ...flagsOf(service.name), '--import', 'tsx', path.join(ROOT, service.entry)],
      { cwd: ROOT, env, stdio: ['ignore', out, out, 'ipc'] },
    );
    fs.closeSync(out);
    children.set(service.name, child);
    const started = Date.now();
    child.once('exit', (code, signal) => {
      if (stopping) return;
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      const detail = `${service.name} stopped (${signal ?? `exit code ${code}`}); the end of ${logFile}:\n${tail}`;
      if (!restart) return onUnexpectedExit(service.name, detail);
      const wait = Date.now() - started >= RESTART_POLICY.stableAfterMs ? RESTART_POLICY.firstDelayMs : delayMs;
      onUnexpectedExit(service.name, detail, wait);
      const timer = setTimeout(() => {
        pendingRestarts.delete(timer);
        if (!stopping) spawnService(service, Math.min(wait * 2, RESTART_POLICY.maxDelayMs));
      }, wait);
      pendingRestarts.add(timer);
    });
  };
  for (const service of SERVICES.filter((s) => only.includes(s.name)))
    spawnService(service, RESTART_POLICY.firstDelayMs);
  return {
    children,
    async stop() {
      stopping = true;
      for (const timer of pendingRestarts) clearTimeout(timer);
      const running = [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
      const exited = Promise.all(running.map((c) => new Promise((done) => c.once('exit', done))));
      for (const child of running) {
        child.kill('SIGTERM');
        // A frozen (SIGSTOPped) service cannot act on SIGTERM until it runs again.
        child.kill('SIGCONT');
      }
      const timer = setTimeout(() => {
        for (const child of running) child.kill('SIGKILL');
      }, RESTART_POLICY.stopGraceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port free now: the services call each other, so every address must be known before any of them starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when `url` answers 200, polling; rejects after `timeoutMs`. */
export async function waitUntilReady(url: string, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    if (Date.now() - started > timeoutMs) throw new Error(`${url} did not become ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
