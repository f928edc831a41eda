export * from './calibration.ts';
export type { I2cBus, I2cFuncs } from './i2c.ts';
export { I2C_BLOCK_MAX, I2cOpenError, openHardwareI2c } from './i2c.ts';
export {
  ALL_LED_OFF_H,
  ALL_LED_OFF_L,
  ALL_LED_ON_H,
  ALL_LED_ON_L,
  CHANNEL_COUNT,
  DEFAULT_ADDRESS,
  DEFAULT_FREQUENCY_HZ,
  LED0_ON_L,
  LED_FULL_BIT,
  MODE1,
  MODE2,
  PRE_SCALE,
  Pca9685,
  Pca9685Error,
  frequencyForPrescale,
  ledRegister,
  prescaleFor,
} from './pca9685.ts';
export type { Pca9685Options, PwmWrites } from './pca9685.ts';
export { EmulatedPca9685, noAckError } from './emulated-pca9685.ts';
export type { EmulatedPca9685Options, RegisterWrite, RegisterWriteListener } from './emulated-pca9685.ts';
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
export { connectSimI2c, serveI2c } from './sim-i2c.ts';
export type { SimI2cServer, SimI2cServerStats } from './sim-i2c.ts';
export { DEFAULT_SIM_I2C_SOCKET, openConfiguredI2c, openDriveOutputs, simI2cSocketPath } from './open-bus.ts';
export type { DriveOutputsConfig, I2cConfig, OpenedDriveOutputs } from './open-bus.ts';
export { stopOnSignals } from './shutdown.ts';
export type { StopOnSignalsOptions } from './shutdown.ts';
