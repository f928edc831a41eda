/**
 * The one hook in front of every route that changes something (driving, settings, uploads,
 * training jobs, rollbacks, shipping models). The server installs it on its root instance; each
 * route plugin takes it from there, and a plugin registered where none was installed fails to
 * start instead of serving its routes unguarded.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.ts';
import { tokenRefusal } from './token.ts';

/** Runs before the body is parsed: without the token nothing about the request is looked at. */
export type TokenGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

const DECORATOR = 'requireToken';

export function installTokenGuard(app: FastifyInstance, token: string): void {
  if (token.length === 0) throw new Error('installTokenGuard: a non-empty control token is required');
  const guard: TokenGuard = async (request, reply) => {
    const refusal = tokenRefusal(token, request.headers.authorization);
    if (refusal) await sendError(reply, 401, 'Unauthorized', refusal);
  };
  app.decorate(DECORATOR, guard);
}

/** The guard installed on the root; throws (Fastify's FST_ERR_DEC_UNDECLARED) when there is none. */
export function tokenGuard(app: FastifyInstance): TokenGuard {
  return app.getDecorator<TokenGuard>(DECORATOR);
}
