/**
 * How every NUC route validates what a client sends: reject what does not match a schema instead of
 * quietly coercing or stripping it. Path and query values are strings, so their schemas say so.
 * `unit` is the bus schemas' annotation of a field's unit (protocol/messages.ts): known, not checked.
 */
export const STRICT_AJV = {
  customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, keywords: ['unit'] },
};
