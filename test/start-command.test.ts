import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signDevToken } from '../gateway/dev-token.js';
import { DEV_JWT_SECRET } from '../kit/config.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiefen-start-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('npm start', () => {
  it('starts four processes with demo data, answers a joined query, and stops cleanly on Ctrl-C', async () => {
    const ports = { GATEWAY_PORT: await freePort(), CASES_PORT: await freePort(), INSTITUTIONS_PORT: await freePort(), REFERRALS_PORT: await freePort() };
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      env: { ...process.env, JIEFEN_DATA_DIR: dataDir, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (output.includes('jiefen-hub is running')) { clearInterval(timer); resolve(); }
          if (child.exitCode !== null) { clearInterval(timer); reject(new Error(`npm start exited: ${output}`)); }
        }, 100);
      });
      expect(output).toContain('loaded demo data: 100 institutions and 5000 cases');
      const token = await signDevToken({ sub: 'smoke', role: 'admin' }, DEV_JWT_SECRET);
      const response = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ cases(first: 2, filter: { status: RESOLVED }) { totalCount edges { node { id institution { name } referrals { kind } } } } }' }),
      });
      const body = await response.json();
      expect(body.errors).toBeUndefined();
      expect(body.data.cases.totalCount).toBeGreaterThan(2000);
      expect(body.data.cases.edges[0].node.institution.name).toEqual(expect.any(String));
      for (const log of ['gateway', 'cases', 'institutions', 'referrals']) expect(fs.existsSync(path.join(dataDir, 'logs', `${log}.log`))).toBe(true);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const stillListening = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/healthz`).then(() => true, () => false);
    expect(stillListening).toBe(false);
  }, 60_000);
});
