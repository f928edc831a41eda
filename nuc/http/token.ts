/** The control token: needed to drive, change modes and settings; watching needs none. */
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time comparison (over digests, so lengths leak nothing either). */
export function tokenMatches(expected: string, presented: unknown): boolean {
  if (expected.length === 0 || typeof presented !== 'string' || presented.length === 0) return false;
  return timingSafeEqual(digest(expected), digest(presented));
}

/** The token from an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** The 401 message for a missing or wrong token, undefined when the header carries the token. */
export function tokenRefusal(expected: string, authorization: string | undefined): string | undefined {
  const presented = bearerToken(authorization);
  if (presented === undefined) return 'this action needs the control token: send "Authorization: Bearer <token>" (the token is printed at start-up)';
  return tokenMatches(expected, presented) ? undefined : 'the control token is wrong';
}
