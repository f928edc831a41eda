/**
 * The one hook in front of every route that changes something (driving, settings, uploads,
 * training jobs, rollbacks, shipping models). The server installs it on its root instance; each
 * route plugin takes it from there, and a plugin registered where none was installed fails to
 * start instead of serving its routes unguarded.
 *
 * Failed attempts are counted per client (@fastify/rate-limit's store): past `maxFailures` in a
 * window the client is locked out, and while it is, every guarded request is answered 429 before
 * its token is even looked at, so guessing cannot go on and a right guess cannot be told apart.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.ts';
import { TokenLockout } from './token-lockout.ts';
import { tokenRefusal } from './token.ts';

/** Runs before the body is parsed: without the token nothing about the request is looked at. */
export type TokenGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface TokenGuardOptions {
  /** failed attempts a client may make per window before it is locked out (default 10) */
  maxFailures?: number;
  /** the window, and the lockout once it is exceeded (default 60 s) */
  windowMs?: number;
}

const DECORATOR = 'requireToken';
const LOCKOUT = 'tokenLockout';

export async function installTokenGuard(app: FastifyInstance, token: string, options: TokenGuardOptions = {}): Promise<void> {
  if (token.length === 0) throw new Error('installTokenGuard: a non-empty control token is required');
  const maxFailures = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  await app.register(rateLimit, { global: false });
  const countFailure = app.createRateLimit({ max: maxFailures, timeWindow: windowMs, keyGenerator: (request) => request.ip });
  const lockout = new TokenLockout(maxFailures, windowMs);
  const tooMany = (reply: FastifyReply, retryAfterMs: number) =>
    sendError(reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000))), 429, 'Too Many Requests', `too many wrong control tokens from this address; try again in ${Math.ceil(retryAfterMs / 1000)} s`);

  const guard: TokenGuard = async (request, reply) => {
    const locked = lockout.remainingMs(request.ip, Date.now());
    if (locked > 0) return void (await tooMany(reply, locked));
    const refusal = tokenRefusal(token, request.headers.authorization);
    if (!refusal) return;
    const limit = await countFailure(request);
    if (!limit.isAllowed && limit.isExceeded) {
      lockout.lock(request.ip, Date.now() + limit.ttl);
      return void (await tooMany(reply, limit.ttl));
    }
    await sendError(reply, 401, 'Unauthorized', refusal);
  };
  app.decorate(DECORATOR, guard);
  app.decorate(LOCKOUT, lockout);
}

/** Every guard handed out (Fastify binds a decorator anew each time): what the OpenAPI catalogue marks as needing the token. */
const handedOut = new WeakSet<TokenGuard>();

/** The guard installed on the root; throws (Fastify's FST_ERR_DEC_UNDECLARED) when there is none. */
export function tokenGuard(app: FastifyInstance): TokenGuard {
  const guard = app.getDecorator<TokenGuard>(DECORATOR);
  handedOut.add(guard);
  return guard;
}

/** Whether a route's hook is the token guard. */
export function isTokenGuard(hook: unknown): boolean {
  return typeof hook === 'function' && handedOut.has(hook as TokenGuard);
}

/** The lockout behind the guard: socket.io's handshakes refuse a locked-out client's token too. */
export function tokenLockout(app: FastifyInstance): TokenLockout {
  return app.getDecorator<TokenLockout>(LOCKOUT);
}
