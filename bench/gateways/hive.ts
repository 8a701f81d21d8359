/** Peer: Hive Gateway's runtime on node:http (its documented Node integration), propagating Authorization. */
import http from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { config, stopOn, supergraphSdl } from './shared.js';

const gateway = createGatewayRuntime({
  supergraph: supergraphSdl,
  logging: 'error',
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
  },
});
const server = http.createServer(gateway);
server.listen(config.ports.gateway, config.host, () =>
  console.log(`hive gateway on ${config.host}:${config.ports.gateway}`),
);
stopOn(async () => {
  server.closeAllConnections();
  server.close();
  await gateway.dispose();
});
