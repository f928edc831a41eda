/**
 * Serves the built dashboard (dashboard/dist) with a single-page-app fallback: any GET that is not
 * an API path and not a file answers index.html, so /drive/1 can be reloaded. Without a build, pages
 * answer a short HTML note saying how to build it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../http/index.ts';

export const DEFAULT_DASHBOARD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dashboard/dist');

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Dashboard not built</title>
<body style="font-family:system-ui;background:#111;color:#eee;padding:3rem">
<h1>The dashboard has not been built</h1>
<p>Run <code>npm run build</code> in the repository, then reload this page. (<code>npm start</code> builds it on its first start.)</p>
<p>The API is up: <a style="color:#8cf" href="/api/cars">/api/cars</a>, <a style="color:#8cf" href="/metrics">/metrics</a>.</p>
</body></html>`;

function isApiPath(url: string): boolean {
  return /^\/(api|socket\.io|metrics|healthz)(\/|\?|$)/.test(url);
}

export async function registerDashboard(app: FastifyInstance, dashboardDir: string): Promise<void> {
  const built = fs.existsSync(path.join(dashboardDir, 'index.html'));
  if (built) await app.register(fastifyStatic, { root: dashboardDir, prefix: '/' });
  app.setNotFoundHandler(async (request, reply) => {
    const wantsPage = request.method === 'GET' && !isApiPath(request.url) && !path.extname(request.url.split('?')[0] ?? '');
    if (!wantsPage) {
      return sendError(reply, 404, 'Not Found', `${request.method} ${request.url.split('?')[0]} does not exist`);
    }
    if (!built) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
