/**
 * How every NUC route validates what a client sends: reject what does not match a schema instead of
 * quietly coercing or stripping it. Path and query values are strings, so their schemas say so.
 */
export const STRICT_AJV = {
  customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false },
} as const;
