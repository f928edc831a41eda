/**
 * Security headers on every answer (@fastify/helmet), with a Content Security Policy the built
 * dashboard passes: its scripts, styles and fonts come from this server, video frames are drawn
 * from blobs, sockets connect back to this origin, and nothing may frame it.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export function dashboardCsp(tls: boolean): Record<string, string[] | null> {
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    // only over HTTPS: on plain HTTP from another machine it would break every request
    ...(tls ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

export async function registerSecurityHeaders(app: FastifyInstance, options: { tls: boolean }): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: dashboardCsp(options.tls) },
    // HSTS means something only over HTTPS
    hsts: options.tls ? { maxAge: 180 * 24 * 3600 } : false,
    crossOriginEmbedderPolicy: false,
  });
}
