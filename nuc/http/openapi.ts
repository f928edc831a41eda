/**
 * The NUC's HTTP routes as an OpenAPI 3.1 document, read from the routes themselves: every route
 * registered after `catalogueRoutes` is recorded with its schemas (params, query, body, responses)
 * and whether it sits behind the control token. Served at `/api/openapi.json`.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { isTokenGuard } from './token-guard.ts';

declare module 'fastify' {
  interface FastifySchema {
    /** one line for the route in /api/openapi.json */
    summary?: string;
    description?: string;
  }
}

interface RecordedRoute {
  method: string;
  url: string;
  schema: Record<string, unknown> | undefined;
  guarded: boolean;
}

export interface RouteCatalogue {
  document(info: { title: string; version: string; description?: string }): Record<string, unknown>;
}

/** `/api/cars/:id` → `/api/cars/{id}` */
const openApiPath = (url: string): string => url.replaceAll(/:([A-Za-z0-9_]+)/g, '{$1}');

const plain = (schema: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

function parameters(schema: unknown, where: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema) return [];
  const object = plain(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (object.required ?? []).includes(name),
    schema: property,
  }));
}

function operation(route: RecordedRoute): Record<string, unknown> {
  const schema = route.schema ?? {};
  const responses: Record<string, unknown> = {};
  for (const [status, reply] of Object.entries((schema.response as Record<string, unknown> | undefined) ?? {})) {
    responses[status] = { description: (reply as { description?: string }).description ?? `HTTP ${status}`, content: { 'application/json': { schema: plain(reply) } } };
  }
  if (Object.keys(responses).length === 0) responses.default = { description: 'not described by a response schema yet' };
  if (route.guarded) responses['401'] ??= { description: 'no or a wrong control token' };
  return {
    ...(typeof schema.summary === 'string' ? { summary: schema.summary } : {}),
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    parameters: [...parameters(schema.params, 'path'), ...parameters(schema.querystring, 'query')],
    ...(schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: plain(schema.body) } } } } : {}),
    responses,
    ...(route.guarded ? { security: [{ token: [] }] } : {}),
  };
}

/** Starts recording the routes registered on `app` from now on. */
export function catalogueRoutes(app: FastifyInstance): RouteCatalogue {
  const routes: RecordedRoute[] = [];
  app.addHook('onRoute', (options: RouteOptions) => {
    const onRequest = [options.onRequest ?? []].flat();
    for (const method of [options.method].flat()) {
      // Fastify adds a HEAD route for every GET
      if (method === 'HEAD') continue;
      routes.push({ method: method.toLowerCase(), url: options.url, schema: options.schema as Record<string, unknown> | undefined, guarded: onRequest.some(isTokenGuard) });
    }
  });
  return {
    document(info) {
      const paths: Record<string, Record<string, unknown>> = {};
      for (const route of routes) {
        const path = openApiPath(route.url);
        paths[path] ??= {};
        paths[path][route.method] = operation(route);
      }
      return {
        openapi: '3.1.0',
        info,
        paths,
        components: { securitySchemes: { token: { type: 'http', scheme: 'bearer', description: 'the control token (nuc.token): Authorization: Bearer <token>' } } },
      };
    },
  };
}
