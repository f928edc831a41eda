import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installTokenGuard, tokenGuard } from './token-guard.ts';

/** A route plugin as the NUC's are written: it takes the guard from the instance it is registered on. */
const guardedRoutes: FastifyPluginAsync = async (app) => {
  app.post('/change', { onRequest: tokenGuard(app) }, async (request) => ({ changed: request.body }));
  app.get('/look', async () => ({ looked: true }));
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(): Promise<FastifyInstance> {
  app = Fastify();
  await installTokenGuard(app, 'secret', { maxFailures: 3, windowMs: 60_000 });
  await app.register(guardedRoutes);
  return app;
}

describe('the token guard', () => {
  it('refuses a change without the token or with a wrong one, in the error shape every route uses', async () => {
    const server = await serve();
    const missing = await server.inject({ method: 'POST', url: '/change', payload: { x: 1 } });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/Authorization: Bearer <token>/) });
    const wrong = await server.inject({ method: 'POST', url: '/change', headers: { authorization: 'Bearer guess' }, payload: { x: 1 } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().message).toBe('the control token is wrong');
  });

  it('lets the right token through, and leaves routes that change nothing open', async () => {
    const server = await serve();
    const allowed = await server.inject({ method: 'POST', url: '/change', headers: { authorization: 'Bearer secret' }, payload: { x: 1 } });
    expect(allowed.json()).toEqual({ changed: { x: 1 } });
    expect((await server.inject('/look')).json()).toEqual({ looked: true });
  });

  it('answers before the body is parsed: a broken body without the token is a 401, not a 400', async () => {
    const server = await serve();
    const response = await server.inject({ method: 'POST', url: '/change', headers: { 'content-type': 'application/json' }, payload: '{broken' });
    expect(response.statusCode).toBe(401);
  });

  it('makes a route plugin fail to start where no guard was installed, instead of serving it unguarded', async () => {
    app = Fastify();
    await expect(app.register(guardedRoutes)).rejects.toThrow(/requireToken/);
  });

  it('refuses an empty token', async () => {
    await expect(installTokenGuard(Fastify(), '')).rejects.toThrow(/non-empty/);
  });

  it('locks a client out after too many wrong tokens: then even the right one gets 429, so a guess cannot be confirmed', async () => {
    const server = await serve();
    const attempt = (token: string) => server.inject({ method: 'POST', url: '/change', headers: { authorization: `Bearer ${token}` }, payload: {} });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await attempt(`guess-${i}`)).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    const right = await attempt('secret');
    expect(right.statusCode).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(right.json().message).toMatch(/too many wrong control tokens/);
    // another client is not affected
    const other = await server.inject({ method: 'POST', url: '/change', remoteAddress: '10.9.9.9', headers: { authorization: 'Bearer secret' }, payload: {} });
    expect(other.statusCode).toBe(200);
  });

  it('does not count the right token against the client', async () => {
    const server = await serve();
    for (let i = 0; i < 10; i++) {
      expect((await server.inject({ method: 'POST', url: '/change', headers: { authorization: 'Bearer secret' }, payload: {} })).statusCode).toBe(200);
    }
  });
});
