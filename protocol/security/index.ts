/**
 * Security of the NUC bus: CURVE keys and their files, the per-message seal, the roles and their
 * topic rules, the ZAP handler, and the gate the proxy runs every message and subscription through.
 */
export { z85Decode, z85Encode } from './z85.ts';
export { CLIENT_KEY_FILES, KeyFileError, generateKeyPair, keyBytes, keyFileText, publicKeyOf, readClientKeys, readKeyFile, readKeyPair } from './keys.ts';
export type { ClientKeys, CurveKeyPair } from './keys.ts';
export { SEAL_BYTES, SEAL_DOMAINS, SEAL_KEY_DERIVATION, SEAL_VERSION, Sealer } from './seal.ts';
export { ClientSecurity } from './client.ts';
export { CONTROL_SOURCES, PUBLISH_REFUSALS, ROLES, TOPIC_RULES, mayReceive, publishRefusal, setsOnlyEstop } from './roles.ts';
export type { Grant, Identity, PairedClient, PublishRefusal, Role, TopicRule } from './roles.ts';
export { BusGate, GATE_DROP_REASONS, SUBSCRIPTION_REFUSALS } from './gate.ts';
export type { Admission, GateDropReason, GateOptions, GateSecurity, SubscriptionAdmission, SubscriptionRefusal } from './gate.ts';
export { startZapHandler } from './zap.ts';
export type { ZapAnswer, ZapHandler, ZapRequest } from './zap.ts';
