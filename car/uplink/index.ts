export { startUplink, UPLINK_UP_KINDS, UPLINK_DOWN_KINDS } from './bridge.ts';
export type { Uplink, UplinkOptions } from './bridge.ts';
