/** The camera: what other car folders use is where the simulator serves its camera stream. */
export { simCameraSocketPath } from './stream-source.ts';
