/** Baseline peer: a bare @apollo/gateway on @apollo/server's standalone server, no plugins, forwarding Authorization. */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { config, stopOn, supergraphSdl } from './shared.js';

interface Context {
  authorization?: string;
}

const gateway = new ApolloGateway({
  supergraphSdl,
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource<Context>({
      url,
      willSendRequest({ request, context }) {
        if (context.authorization) request.http!.headers.set('authorization', context.authorization);
      },
    }),
});
const server = new ApolloServer<Context>({ gateway, stopOnTerminationSignals: false });
const { url } = await startStandaloneServer(server, {
  listen: { port: config.ports.gateway, host: config.host },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(`apollo gateway on ${url}`);
stopOn(() => server.stop());
