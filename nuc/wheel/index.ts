/** Race wheel input: HID wheel profiles with hot-plug, the virtual wheel, browser input, and the talk's mapping. */
export type { AxisSample, PedalSample, WheelReport, WheelState, WheelControl, ParseResult, IgnoreReason } from './types.ts';
export {
  DEFAULT_WHEEL_MAPPING,
  DEFAULT_WHEEL_BUTTONS,
  STEERING_GAIN,
  centredAxis,
  pedalTravel,
  steeringAngle,
  negativeExponential,
  throttleFromPedal,
  combinedThrottle,
} from './mapping.ts';
export type { WheelAction } from './mapping.ts';
export { ControlMapper, MODE_CYCLE } from './mapper.ts';
export type { ControlMapperOptions, MapperState } from './mapper.ts';
export { WheelCounters } from './counters.ts';
export type { WheelIgnoreReason } from './counters.ts';
export { WHEEL_PROFILES, findProfile, modeSwitchFor, identifyLogitechWheel } from './profiles/index.ts';
export type { WheelProfile, WheelInit, OutputReport, ModeSwitch } from './profiles/index.ts';
export type { HidBackend, HidDeviceHandle, HidDeviceInfo } from './hid-backend.ts';
export { formatId, parseDeviceId } from './hid-backend.ts';
export { createNodeHidBackend } from './node-hid-backend.ts';
export { FakeHidBackend } from './fake-hid.ts';
export { WheelInput } from './wheel-input.ts';
export type { WheelInputOptions, WheelStatus, Timers } from './wheel-input.ts';
export { VirtualWheel } from './virtual.ts';
export type { VirtualWheelState } from './virtual.ts';
export { BrowserWheel, checkBrowserInput } from './browser.ts';
export type { BrowserInput, BrowserCheck } from './browser.ts';
export {
  GenericCalibrator,
  CalibrationError,
  CALIBRATION_INSTRUCTIONS,
  createGenericProfile,
} from './calibration.ts';
export type { CalibrationStep } from './calibration.ts';
export { startWheelBridge } from './bridge.ts';
export type { WheelBridge, WheelBridgeOptions } from './bridge.ts';
export { changedFlags } from './control-flags.ts';
export type { FlagChanges } from './control-flags.ts';
