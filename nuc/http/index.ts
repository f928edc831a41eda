/** What the NUC's HTTP routes share: the control token, its guard, and the error reply. */
export { tokenMatches } from './token.ts';
export { installTokenGuard, tokenGuard, tokenLockout } from './token-guard.ts';
export type { TokenGuard, TokenGuardOptions } from './token-guard.ts';
export type { TokenLockout } from './token-lockout.ts';
export { sendError } from './errors.ts';
export type { ErrorReply } from './errors.ts';
export { STRICT_AJV } from './validation.ts';
export { catalogueRoutes, type RouteCatalogue } from './openapi.ts';
export { ErrorReplySchema } from './errors.ts';
