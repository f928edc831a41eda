export * from './calibration.ts';
export type { I2cBus } from './i2c.ts';
export { I2C_BLOCK_MAX, I2cOpenError, checkBlockArgs, openHardwareI2c } from './i2c.ts';
export {
  ALLCALLADR,
  ALL_LED_OFF_H,
  ALL_LED_OFF_L,
  ALL_LED_ON_H,
  ALL_LED_ON_L,
  CHANNEL_COUNT,
  DEFAULT_ADDRESS,
  DEFAULT_FREQUENCY_HZ,
  LED0_ON_L,
  LED15_OFF_H,
  LED_FULL_BIT,
  MODE1,
  MODE1_AI,
  MODE1_RESTART,
  MODE1_SLEEP,
  MODE2,
  OSCILLATOR_SETTLE_MS,
  PRESCALE_MIN,
  PRE_SCALE,
  SUBADR1,
  SUBADR2,
  SUBADR3,
  TEST_MODE,
  Pca9685,
  Pca9685Error,
  frequencyForPrescale,
  ledRegister,
  prescaleFor,
} from './pca9685.ts';
export type { Pca9685Options } from './pca9685.ts';
export { DriveOutputs } from './outputs.ts';
export type { AppliedOutputs, OutputsState } from './outputs.ts';
export { ActuatorCore, DEFAULT_FAILSAFE_MS } from './actuator-core.ts';
export type {
  ActuatorCoreOptions,
  ActuatorCounters,
  DriveCommand,
  DriveSource,
  DriveTarget,
  SubmitResult,
  TargetReason,
} from './actuator-core.ts';
export { SOCKET_I2C, connectSimI2c } from './socket-i2c.ts';
export { DEFAULT_SIM_I2C_SOCKET, openConfiguredI2c, openDriveOutputs, simI2cSocketPath } from './open-bus.ts';
export type { DriveOutputsConfig, I2cConfig, OpenedDriveOutputs } from './open-bus.ts';
export { stopOnSignals } from './shutdown.ts';
export type { StopOnSignalsOptions } from './shutdown.ts';
