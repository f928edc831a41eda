/**
 * The actuator: the PCA9685 driver on an I2C bus, Donkeycar's calibration (its PWM model is in
 * runtime/, shared with the simulated world), failsafe and estop. What other folders use: the bus interface, the chip's register
 * map (the simulator's emulated chip) and the I2C-over-socket transport between the two.
 */
export type { I2cBus, I2cFuncs, I2cWordBus } from './i2c.ts';
export { I2C_BLOCK_MAX, checkBlockArgs } from './i2c.ts';
export {
  ALLCALLADR,
  ALL_LED_OFF_H,
  ALL_LED_ON_L,
  CHANNEL_COUNT,
  DEFAULT_ADDRESS,
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
  frequencyForPrescale,
  ledRegister,
} from './pca9685.ts';
export { DriveOutputs } from './outputs.ts';
export { SOCKET_I2C, connectSimI2c } from './socket-i2c.ts';
export { simI2cSocketPath } from './open-bus.ts';
