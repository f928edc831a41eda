/**
 * The published bus contract: an AsyncAPI 3.0 document and the README's section, both generated
 * from the closed header schemas (messages.ts) and the role table (security/roles.ts).
 */
export { buildAsyncApi, type AsyncApiOptions } from './asyncapi.ts';
export { README_MARKERS, renderBusContract, replaceGeneratedBlock } from './markdown.ts';
export { KIND_NOTES, channelsOf } from './kinds.ts';
export { REFUSALS, REFUSAL_MEANINGS, WIRE, type Refusal } from './wire.ts';
