import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signDevToken } from '../gateway/dev-token.js';
import { DEV_JWT_SECRET } from '../kit/config.js';
import { freePort } from '../scripts/processes.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiefen-start-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Every process below `pid`, from /proc (npm -> node scripts/start.ts -> the four services). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command may hold spaces and parentheses: the parent pid is the second field after the last ')'.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone meanwhile */
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const [child, ppid] of parents)
      if (ppid === parent) {
        found.push(child);
        visit(child);
      }
  };
  visit(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  ports: Record<'GATEWAY_PORT' | 'CASES_PORT' | 'INSTITUTIONS_PORT' | 'REFERRALS_PORT', number>;
}

/** `npm start` as a script starts it (no terminal), resolved once it says it is running. */
async function npmStart(): Promise<Started> {
  const ports = {
    GATEWAY_PORT: await freePort(),
    CASES_PORT: await freePort(),
    INSTITUTIONS_PORT: await freePort(),
    REFERRALS_PORT: await freePort(),
  };
  const child = spawn('npm', ['start'], {
    env: {
      ...process.env,
      JIEFEN_DATA_DIR: dataDir,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(
    () => output.includes('jiefen-hub is running'),
    () => child.exitCode !== null && `npm start exited: ${output}`,
  );
  return { child, output: () => output, exited, ports };
}

/** Polls `check` until it holds; throws `failed()`'s text if that gives one first, or after `timeoutMs`. */
async function waitFor(
  check: () => boolean | Promise<boolean>,
  failed: () => string | false = () => false,
  timeoutMs = 60_000,
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    const failure = failed();
    if (failure) throw new Error(failure);
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ask(port: number, query: string) {
  const token = await signDevToken({ sub: 'smoke', role: 'admin' }, DEV_JWT_SECRET);
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return response.json() as Promise<{ data?: any; errors?: { extensions?: { code?: string; subgraph?: string } }[] }>;
}

/** The pid of the service whose entry file is `entry`, among `pids`. */
function serviceProcess(pids: number[], entry: string): number {
  const pid = pids.find((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(entry);
    } catch {
      return false;
    }
  });
  if (!pid) throw new Error(`no process runs ${entry}`);
  return pid;
}

/** Sends `signal` to npm and expects it to exit 0 with none of the processes below it left running. */
async function stopsCleanly(hub: Started, signal: NodeJS.Signals): Promise<void> {
  const below = descendants(hub.child.pid!);
  expect(below.length).toBeGreaterThanOrEqual(5);
  hub.child.kill(signal);
  expect(await hub.exited).toBe(0);
  await waitFor(
    () => below.every((pid) => !alive(pid)),
    () => false,
    10_000,
  );
  expect(
    await fetch(`http://127.0.0.1:${hub.ports.GATEWAY_PORT}/healthz`).then(
      () => true,
      () => false,
    ),
  ).toBe(false);
}

describe('npm start', () => {
  it('starts four processes with demo data, answers a joined query, restarts a service that dies, and stops every process on SIGINT', async () => {
    const hub = await npmStart();
    try {
      expect(hub.output()).toContain('loaded demo data: 100 institutions and 5000 cases');
      const body = await ask(
        hub.ports.GATEWAY_PORT,
        '{ cases(first: 2, filter: { status: RESOLVED }) { totalCount edges { node { id institution { name } referrals { kind } } } } }',
      );
      expect(body.errors).toBeUndefined();
      expect(body.data.cases.totalCount).toBeGreaterThan(2000);
      expect(body.data.cases.edges[0].node.institution.name).toEqual(expect.any(String));
      for (const log of ['gateway', 'cases', 'institutions', 'referrals'])
        expect(fs.existsSync(path.join(dataDir, 'logs', `${log}.log`))).toBe(true);

      // A subgraph dies: it is logged and started again, and the gateway keeps serving the other offices meanwhile.
      const referrals = serviceProcess(descendants(hub.child.pid!), 'subgraphs/referrals/main.ts');
      process.kill(referrals, 'SIGKILL');
      await waitFor(() => hub.output().includes('referrals stopped (SIGKILL)'));
      expect(hub.output()).toMatch(/referrals stopped \(SIGKILL\)[\s\S]*starting it again in \d+ ms/);
      expect((await ask(hub.ports.GATEWAY_PORT, '{ cases(first: 1) { totalCount } }')).data.cases.totalCount).toBe(
        5000,
      );
      await waitFor(async () => {
        const again = await ask(hub.ports.GATEWAY_PORT, '{ cases(first: 1) { edges { node { referrals { id } } } } }');
        return again.errors === undefined && Array.isArray(again.data.cases.edges[0].node.referrals);
      });
      expect(serviceProcess(descendants(hub.child.pid!), 'subgraphs/referrals/main.ts')).not.toBe(referrals);
    } catch (error) {
      hub.child.kill('SIGKILL');
      throw error;
    }
    await stopsCleanly(hub, 'SIGINT');
  }, 120_000);

  it('stops every process on SIGTERM from a script', async () => {
    const hub = await npmStart();
    await stopsCleanly(hub, 'SIGTERM');
  }, 90_000);
});
