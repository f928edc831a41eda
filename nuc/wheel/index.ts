/**
 * Race wheel input: HID wheel profiles with hot-plug, the virtual wheel, browser input, and the talk's
 * mapping. What other folders use: the HID interface (for a test backend) and the bridge from a wheel
 * to a car's control. The wheel's configuration schema lives with the others in runtime/.
 */
export type { HidBackend, HidDeviceHandle, HidDeviceInfo } from './hid-backend.ts';
export { startWheelBridge } from './bridge.ts';
export type { WheelBridge } from './bridge.ts';
