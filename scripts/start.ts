/**
 * npm start: the whole hub on one machine. Composes the supergraph if a subgraph's SDL changed, loads the demo
 * data into empty stores, starts the three subgraphs and the gateway as their own processes, waits until the
 * gateway is ready, and prints where everything is. Ctrl-C stops all of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, ConfigError } from '../kit/config.js';
import { compose, SUPERGRAPH_PATH } from '../schema/compose.js';
import { DEMO_DEFAULTS, seedDemo } from '../seed/seed-demo.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SERVICES = [
  { name: 'cases', entry: 'subgraphs/cases/main.ts' },
  { name: 'institutions', entry: 'subgraphs/institutions/main.ts' },
  { name: 'referrals', entry: 'subgraphs/referrals/main.ts' },
  { name: 'gateway', entry: 'gateway/main.ts' },
];

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const composed = compose();
if ('errors' in composed) fail(`the subgraphs do not compose:\n${composed.errors.join('\n')}`);
if (fs.readFileSync(SUPERGRAPH_PATH, 'utf8') !== composed.supergraphSdl) {
  fs.writeFileSync(SUPERGRAPH_PATH, composed.supergraphSdl);
  console.log('composed schema/supergraph.graphql from the changed subgraph SDL');
}

if (await seedDemo(config, { ...DEMO_DEFAULTS })) {
  console.log(`loaded demo data: ${DEMO_DEFAULTS.institutions} institutions and ${DEMO_DEFAULTS.cases} cases`);
}

const logDir = path.resolve(config.dataDir, 'logs');
fs.mkdirSync(logDir, { recursive: true });
const children = new Map<string, ChildProcess>();
let stopping = false;

function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(code);
  }, 5000);
  void Promise.all([...children.values()].map((child) => child.exitCode !== null ? undefined : new Promise((done) => child.once('exit', done))))
    .then(() => { clearTimeout(deadline); process.exit(code); });
}

for (const service of SERVICES) {
  const logFile = path.join(logDir, `${service.name}.log`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, service.entry)], { cwd: root, env: process.env, stdio: ['ignore', out, out] });
  children.set(service.name, child);
  child.once('exit', (code, signal) => {
    if (stopping) return;
    const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
    console.error(`${service.name} stopped (${signal ?? `exit code ${code}`}); the end of ${logFile}:\n${tail}`);
    stopAll(1);
  });
}
process.on('SIGINT', () => { console.log('\nstopping…'); stopAll(0); });
process.on('SIGTERM', () => stopAll(0));

const shown = config.host.includes(':') ? `[${config.host}]` : config.host;
const gatewayBase = `http://${shown}:${config.ports.gateway}`;
const started = Date.now();
for (;;) {
  if (stopping) await new Promise(() => {});
  const ready = await fetch(`${gatewayBase}/readyz`).then((r) => r.ok, () => false);
  if (ready) break;
  if (Date.now() - started > 60_000) {
    console.error('the gateway did not become ready within 60 s; logs are in ' + logDir);
    stopAll(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}

console.log(`
jiefen-hub is running.
  gateway        http://localhost:${config.ports.gateway}/graphql
  cases          ${config.subgraphUrls.cases}  (internal: needs the gateway's token)
  institutions   ${config.subgraphUrls.institutions}
  referrals      ${config.subgraphUrls.referrals}
  logs           ${logDir}

Get a development token and ask a question:
  TOKEN=$(npm run --silent token -- --role admin)
  curl -s http://localhost:${config.ports.gateway}/graphql -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"query":"{ cases(first: 3) { totalCount edges { node { id status institution { name } referrals { kind status } } } } }"}'

Ctrl-C stops everything.`);
