/** The contracts shared by car and NUC: the bus (topics, message schemas, codec, sockets, proxy, metrics) and the release manifest. */
export { MESSAGE_KINDS, carTopic, nucTopic, carPrefix, formatTopic, parseTopic, isValidId, TopicError } from './topics.ts';
export type { MessageKind, Scope, Topic, TopicName } from './topics.ts';
export {
  PROTOCOL_VERSION,
  HEADER_SCHEMAS,
  DRIVE_MODES,
  DriveModeSchema,
  LoopStatsSchema,
  SimStateSchema,
  BatteryStateSchema,
  RacePhaseSchema,
  MAX_TRACK_CARS,
  MAX_ERASE_SECONDS,
  OS_UPDATE_OUTCOMES,
  OS_SLOT_STATES,
} from './messages.ts';
export type { OsUpdateOutcome, OsSlotStateName } from './messages.ts';
export type { DriveMode, FieldsOf, HeaderOf, LoopStats, CountersSnapshot, SimState, CarPose, RacePhase, CrossingSource, BatteryStateFields } from './messages.ts';
export { encode, decode, DEFAULT_LIMITS, DROP_REASONS, MAX_HEADER_BYTES, socketMessageLimit } from './codec.ts';
export type { BusMessage, Decoded, DecodeLimits, DropReason } from './codec.ts';
export { isStartOfFrame, readImageHeader, sniffImageFormat } from './image-header.ts';
export type { ImageFormat, ImageHeader } from './image-header.ts';
export { Mailbox } from './mailbox.ts';
export { BusCounters, LoopTimer, ServiceMetrics, isGaugeName, percentile } from './metrics.ts';
export { BusPublisher, BusSubscriber } from './sockets.ts';
export type { BusLogger, BusTarget, MessageHandler, PublisherOptions, SubscriberOptions } from './sockets.ts';
export { startProxy, subscriberQueueLimit } from './proxy.ts';
export { ClientActivityLog, emptyActivity } from './client-activity.ts';
export type { ClientActivity } from './client-activity.ts';
export type { ProxyOptions, ProxySecurity, ProxyStats, RunningProxy } from './proxy.ts';
export {
  CLIENT_KEY_FILES,
  ClientSecurity,
  KeyFileError,
  GATE_DROP_REASONS,
  ROLES,
  SUBSCRIPTION_REFUSALS,
  TOPIC_RULES,
  generateKeyPair,
  keyBytes,
  keyFileText,
  publicKeyOf,
  readClientKeys,
  readKeyFile,
  readKeyPair,
} from './security/index.ts';
export type { ClientKeys, CurveKeyPair, GateDropReason, Identity, PairedClient, Role, SubscriptionRefusal } from './security/index.ts';
export { DEFAULT_PORTS, tcpEndpoint, carLocalEndpoints } from './endpoints.ts';
export type { BusEndpoints } from './endpoints.ts';
export {
  LATEST_RELEASE_TARGET,
  UPDATE_STRATEGIES,
  OS_COMPATIBLE_PATTERN,
  OS_VERSION_PATTERN,
  OsReleaseSchema,
  blobPath,
  carOfReleaseTarget,
  carReleaseTarget,
  checkManifest,
  parseManifest,
  releaseTargetPath,
  releaseTargetVersion,
  serializeManifest,
} from './release-manifest.ts';
export type { ModelRelease, OsRelease, ReleaseFile, ReleaseManifest, ServiceRelease, UpdateStrategy } from './release-manifest.ts';
export { carColour, carColourHex } from './car-colours.ts';
export type { Rgb } from './car-colours.ts';
export { README_MARKERS, REFUSALS, REFUSAL_MEANINGS, buildAsyncApi, renderBusContract, replaceGeneratedBlock } from './contract/index.ts';
export type { AsyncApiOptions, Refusal } from './contract/index.ts';
