export { startUplink, UPLINK_UP_KINDS, UPLINK_DOWN_KINDS, UPLINK_DOWN_NUC_TOPICS } from './bridge.ts';
export type { Uplink, UplinkOptions } from './bridge.ts';
