/**
 * The car services a release can replace, and every fact about them the others need: the launcher
 * leaves them to the agent, the agent's planner learns which own a device and which drive, and
 * deploy learns where each one's code starts and which files it reads beside itself. proxy, uplink
 * and sim are the platform the agent itself stands on (the launcher runs them), so they update with
 * the car's install.
 */
import type { UpdateStrategy } from '../protocol/index.ts';
import { BUILTIN_TRACKS_DIR } from '../world/index.ts';

export interface UpdatableService {
  name: string;
  /** the service module (default export: the service), relative to the repository root */
  entry: string;
  /** how a release swaps it unless the publisher asks for another strategy */
  strategy: UpdateStrategy;
  /** owns a device (the I2C bus, the camera): two copies never run at once, so it is replaced only at rest */
  needsHardware: boolean;
  /** publishes drive commands: a new one gets a new drive generation, which the actuator switches to */
  drives: boolean;
  /**
   * data the bundled code reads beside itself (`import.meta.url`-relative), as directories relative to
   * the repository root; each lands under its own base name next to `service.js`
   */
  assets?: readonly string[];
}

/** The simulator's tracks: the expert pilot loads them by file. */
const TRACKS = [BUILTIN_TRACKS_DIR] as const;

export const UPDATABLE_SERVICES: readonly UpdatableService[] = [
  { name: 'actuator', entry: 'car/actuator/service.ts', strategy: 'handover', needsHardware: true, drives: false },
  { name: 'camera', entry: 'car/camera/service.ts', strategy: 'handover', needsHardware: true, drives: false },
  { name: 'pilot', entry: 'car/pilot/service.ts', strategy: 'handover', needsHardware: false, drives: true, assets: TRACKS },
];

/** With the agent enabled it runs these (A/B slots), not the launcher. */
export const AGENT_MANAGED_SERVICES: readonly string[] = UPDATABLE_SERVICES.map((service) => service.name);

/** The services whose drive commands the actuator follows by generation. */
export const DRIVE_PUBLISHERS: readonly string[] = UPDATABLE_SERVICES.filter((service) => service.drives).map((service) => service.name);
