/**
 * The published contracts: the bus's (AsyncAPI 3.0, generated from the header schemas and the role
 * table), the HTTP routes' (OpenAPI 3.1, from the routes' own schemas), and per paired bus key what
 * the NUC proxy accepted and refused (token). A Fastify plugin, registered by buildNucServer.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { buildAsyncApi, PROTOCOL_VERSION } from '../../protocol/index.ts';
import { tokenGuard, type RouteCatalogue } from '../http/index.ts';
import { BusClientsReplySchema, BusKeyStore, busClientsReport } from '../pairing/index.ts';

export interface BusContractOptions {
  /** where clients reach the bus (`nuc.host`, the two ports): the AsyncAPI document's servers */
  host: string;
  publishersPort: number;
  subscribersPort: number;
  /** the bus keys directory (allow-list, the proxy's per-key counts); absent: no `/api/bus/clients` */
  keysDir?: string;
}

export interface ContractRoutesOptions {
  bus: BusContractOptions | undefined;
  catalogue: RouteCatalogue;
}

/** A JSON document of any shape (the two contract documents are built, not checked, here). */
const AnyDocument = Type.Object({}, { additionalProperties: true });

export const contractRoutes: FastifyPluginAsync<ContractRoutesOptions> = async (instance, options) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { bus } = options;
  const asyncApi = JSON.stringify(buildAsyncApi(bus ? { host: bus.host, publishersPort: bus.publishersPort, subscribersPort: bus.subscribersPort } : {}));

  app.get('/api/asyncapi.json', { schema: { summary: 'the bus contract: AsyncAPI 3.0, generated from the header schemas and the role table' } }, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(asyncApi),
  );

  app.get('/api/openapi.json', { schema: { summary: "these HTTP routes: OpenAPI 3.1, from the routes' own schemas", response: { 200: AnyDocument } } }, async () =>
    options.catalogue.document({ title: 'edge-racing NUC HTTP API', version: String(PROTOCOL_VERSION), description: 'The NUC server\'s REST routes. Refusals answer `{statusCode, error, message}`. Routes with `security: token` need `Authorization: Bearer <nuc.token>`.' }),
  );

  if (bus?.keysDir) {
    const store = new BusKeyStore(bus.keysDir);
    app.get(
      '/api/bus/clients',
      {
        onRequest: tokenGuard(app),
        schema: {
          summary: 'every paired bus key, and what the NUC proxy accepted and refused from it since it started, by reason',
          response: { 200: BusClientsReplySchema },
        },
      },
      async () => busClientsReport(store),
    );
  }
};
