/**
 * npm start: the whole hub on one machine. Composes the supergraph if a subgraph's SDL changed, loads the demo
 * data into empty stores, starts the three subgraphs and the gateway as their own processes, waits until the
 * gateway is ready, and prints where everything is. A service that exits is started again with backoff, logged
 * here. Ctrl-C, or SIGINT or SIGTERM from a script, stops all of them; package.json runs this file with plain
 * `node --import tsx`, not the tsx command, whose signal relay SIGKILLs this process 60 ms after relaying a signal
 * and so left the services behind as orphans.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, ConfigError } from '../kit/config.js';
import { compose, SUPERGRAPH_PATH } from '../schema/compose.js';
import { DEMO_DEFAULTS, seedDemo } from '../seed/seed-demo.js';
import { startProcesses, waitUntilReady } from './processes.js';

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

// The first start writes the demo world: say how far it is, so a newcomer sees it working.
let reported = 0;
const onProgress = (written: number) => {
  if (written - reported < 1000 && written < DEMO_DEFAULTS.cases) return;
  reported = written;
  console.log(`loading demo data: ${written} of ${DEMO_DEFAULTS.cases} cases`);
};
if (await seedDemo(config, { ...DEMO_DEFAULTS, onProgress })) {
  console.log(`loaded demo data: ${DEMO_DEFAULTS.institutions} institutions and ${DEMO_DEFAULTS.cases} cases`);
}

const logDir = path.resolve(config.dataDir, 'logs');
let stopping = false;
// A service that exits is started again (with backoff) while the others keep serving: one office down is not the hub down.
const group = startProcesses(
  process.env,
  logDir,
  (_name, detail, restartInMs) => {
    console.error(`${new Date().toISOString()} ${detail}\nstarting it again in ${restartInMs} ms`);
  },
  { restart: true },
);

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await group.stop();
  }
  process.exit(code);
}
process.on('SIGINT', () => {
  console.log('\nstopping…');
  void stop(0);
});
process.on('SIGTERM', () => {
  console.log('stopping…');
  void stop(0);
});
// Started with an IPC channel (as a test or a supervisor may): its closing means the parent is gone.
if (process.send) process.once('disconnect', () => void stop(0));

const shown = config.host.includes(':') ? `[${config.host}]` : config.host;
try {
  await waitUntilReady(`http://${shown}:${config.ports.gateway}/readyz`);
} catch (error) {
  console.error(`${(error as Error).message}; logs are in ${logDir}`);
  await stop(1);
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
