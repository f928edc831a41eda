/** The simulated car's hardware under the real drivers: the emulated PCA9685 served as an I2C bus, and the camera feed rendered from the simulated world (world/). */
export { EmulatedPca9685, noAckError } from './emulated-pca9685.ts';
export { serveI2c } from './i2c-server.ts';
export { serveCameraFeed, type CameraFeed } from './camera-feed.ts';
export { SimBattery, DEFAULT_SIM_BATTERY, cellRestingVolts } from './battery.ts';
export type { SimBatteryParams } from './battery.ts';
export { EmulatedIna219 } from './emulated-ina219.ts';
export { SharedI2cBus } from './shared-i2c-bus.ts';
