/** The ground every service stands on: the service contract, the configuration and its loader, paths, atomic files, the logger. */
export type { RunningService, ServiceContext, ServiceDefinition, ServiceEntry, ServiceScope } from './service.ts';
export {
  GenericCalibrationSchema,
  TOP_SPEED_FULL,
  WheelConfigSchema,
  WheelMappingSchema,
  type BusConfig,
  type CarConfig,
  type GenericCalibration,
  type PlatformConfig,
  type TimingConfig,
  type TrainingConfig,
  type WheelButtonsConfig,
  type WheelConfig,
  type WheelMappingConfig,
} from './config-schema.ts';
export { ConfigError, loadConfig, validateConfig, type LoadedConfig } from './load-config.ts';
export { busKeysDir, carBus, carRunDir, nucBus, nucBusBind, nucRunDir } from './paths.ts';
export { OS_CHUNK_PROXY_PORT, OS_CHUNK_STORE_URL, OS_PRE_INSTALL_REFUSAL_FILE } from './car-os.ts';
export { writeFileAtomic, writeFileAtomicSync } from './atomic-file.ts';
export { createLogger } from './logger.ts';
export { seededRandom } from './random.ts';
export { clampUnit } from './unit-range.ts';
export {
  CalibrationError,
  DEFAULT_STEERING,
  DEFAULT_THROTTLE,
  PCA9685_MAX_COUNT,
  angleToCount,
  countToAngle,
  countToMicros,
  countToThrottle,
  microsToCount,
  throttleToCount,
  validateSteering,
  validateThrottle,
  type SteeringCalibration,
  type ThrottleCalibration,
} from './pwm-calibration.ts';
export { Guard, InjectedLoopFault, injectedLoops, type GuardLog } from './guard.ts';
export { busLimits } from './bus-limits.ts';
