/**
 * What every peer gateway of the benchmark shares: where the subgraphs are and which port to take.
 * Peers do no user authentication: the load generator sends them an internal token, which they pass on to the
 * subgraphs through their own documented header hook (the usual header-propagation setup).
 */
import fs from 'node:fs';
import { loadConfig } from '../../kit/config.js';

export const config = loadConfig();
export const supergraphFile = new URL('../../schema/supergraph.graphql', import.meta.url);
export const subgraphs = Object.entries(config.subgraphUrls).map(([name, url]) => ({ name, url }));
/** The checked-in supergraph, with each subgraph's URL taken from the configuration (as our gateway does). */
export const supergraphSdl = fs
  .readFileSync(supergraphFile, 'utf8')
  .replace(/@join__graph\(name: "(\w+)", url: "[^"]*"\)/g, (whole, name: string) => {
    const url = config.subgraphUrls[name as keyof typeof config.subgraphUrls];
    return url ? `@join__graph(name: "${name}", url: "${url}")` : whole;
  });

/** Stops on SIGTERM/SIGINT (the harness's ProcessGroup sends SIGTERM), so a --cpu-prof profile gets written. */
export function stopOn(close: () => Promise<unknown>): void {
  const stop = () => {
    void close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
