/**
 * Composes the three subgraphs' SDL into `schema/supergraph.graphql` with Apollo's composition library.
 *   npm run compose            writes the supergraph
 *   npm run compose -- --check fails when the checked-in supergraph differs from a fresh composition
 * The gateway runs from the checked-in file: no introspection of subgraphs at run time.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

/** Each subgraph's SDL lives beside its code; `schema/<name>.graphql` links to it. */
export const SUBGRAPHS = [
  { name: 'cases', url: 'http://127.0.0.1:4001/graphql' },
  { name: 'institutions', url: 'http://127.0.0.1:4002/graphql' },
  { name: 'referrals', url: 'http://127.0.0.1:4003/graphql' },
] as const;

export const SUPERGRAPH_PATH = fileURLToPath(new URL('./supergraph.graphql', import.meta.url));

export function compose(): { supergraphSdl: string } | { errors: string[] } {
  const result = composeServices(
    SUBGRAPHS.map(({ name, url }) => ({
      name,
      url,
      typeDefs: parse(fs.readFileSync(new URL(`../subgraphs/${name}/schema.graphql`, import.meta.url), 'utf8')),
    })),
  );
  if (result.errors) return { errors: result.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`) };
  return { supergraphSdl: result.supergraphSdl };
}

function main(): void {
  const result = compose();
  if ('errors' in result) {
    console.error(`composition failed:\n${result.errors.join('\n')}`);
    process.exit(1);
  }
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(SUPERGRAPH_PATH) ? fs.readFileSync(SUPERGRAPH_PATH, 'utf8') : '';
    if (current !== result.supergraphSdl) {
      console.error('schema/supergraph.graphql is out of date: run npm run compose');
      process.exit(1);
    }
    console.log('schema/supergraph.graphql is up to date');
    return;
  }
  fs.writeFileSync(SUPERGRAPH_PATH, result.supergraphSdl);
  console.log(`wrote ${SUPERGRAPH_PATH}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) main();
