/** The uplink between the car-local bus and the NUC's: which kinds go up and down, and the bridge that carries them. */
export { startUplink } from './bridge.ts';
export type { Uplink } from './bridge.ts';
