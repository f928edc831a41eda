/**
 * Expert demonstrations with recoveries (a "DAgger-lite"): the expert drives, but now and then a
 * swerve is added to the steering it applies, pushing the car off the racing line; every frame is
 * labelled with what the expert would do from where the car actually is. A model trained on clean
 * laps only never sees the road from off the line, so its first small error compounds; these
 * frames teach it to steer back.
 */
import { createExpert, DirectPulses, SimWorld, type DriveInput, type SimTelemetry, type Track } from '../world/index.ts';
import { seededRandom } from '../runtime/index.ts';
import { clampUnit } from '../runtime/index.ts';

export interface SwerveNoise {
  /** chance per control tick that a swerve starts (when none is under way) */
  probability: number;
  /** largest steering offset added during a swerve, in command units */
  magnitude: number;
  /** shortest and longest swerve, seconds */
  durationS: [number, number];
}

export const DEFAULT_SWERVE: SwerveNoise = { probability: 0.04, magnitude: 0.6, durationS: [0.2, 0.6] };

export interface DemonstrationFrame {
  /** the state the command was decided on (render the camera from it) */
  telemetry: SimTelemetry;
  /** the expert's command for this state: the training label */
  label: DriveInput;
  /** what the car was actually driven with (label plus any swerve) */
  applied: DriveInput;
}

export interface DemonstrationOptions {
  track: Track;
  /** simulated seconds to drive */
  seconds: number;
  controlHz?: number;
  /** false drives clean laps only */
  swerve?: SwerveNoise | false;
  seed?: number;
  onFrame: (frame: DemonstrationFrame) => void;
}

export interface DemonstrationResult {
  frames: number;
  laps: number;
  offTrackEvents: number;
}

function checkOptions(o: DemonstrationOptions): void {
  if (!(o.seconds > 0)) throw new Error(`seconds must be positive, got ${o.seconds}`);
  if (o.controlHz !== undefined && !(o.controlHz > 0)) throw new Error(`controlHz must be positive, got ${o.controlHz}`);
  if (o.swerve) {
    const { probability, magnitude, durationS } = o.swerve;
    if (!(probability >= 0 && probability <= 1)) throw new Error(`swerve probability must be in [0, 1], got ${probability}`);
    if (!(magnitude >= 0 && magnitude <= 2)) throw new Error(`swerve magnitude must be in [0, 2], got ${magnitude}`);
    if (!(durationS[0] > 0 && durationS[1] >= durationS[0])) throw new Error(`swerve duration must be 0 < min <= max, got [${durationS.join(', ')}]`);
  }
}


/** Drives the expert (with swerves) for `seconds` of simulated time, calling `onFrame` per control tick. */
export function driveDemonstrations(options: DemonstrationOptions): DemonstrationResult {
  checkOptions(options);
  const controlDt = 1 / (options.controlHz ?? 20);
  const swerve = options.swerve === undefined ? DEFAULT_SWERVE : options.swerve;
  const random = seededRandom(options.seed ?? 1);
  const pulses = new DirectPulses();
  const world = new SimWorld({ track: options.track, pulses });
  const expert = createExpert(options.track);
  let offset = 0;
  let swerveLeftS = 0;
  let frames = 0;
  let telemetry = world.telemetry();
  while (telemetry.t < options.seconds) {
    const label = expert(telemetry);
    if (swerve && swerveLeftS <= 0 && random() < swerve.probability) {
      const [shortest, longest] = swerve.durationS;
      swerveLeftS = shortest + random() * (longest - shortest);
      offset = (random() * 2 - 1) * swerve.magnitude;
    }
    const applied = { angle: clampUnit(label.angle + (swerveLeftS > 0 ? offset : 0)), throttle: label.throttle };
    swerveLeftS -= controlDt;
    options.onFrame({ telemetry, label, applied });
    frames++;
    pulses.drive(applied);
    world.step(controlDt);
    telemetry = world.telemetry();
  }
  return { frames, laps: telemetry.lap, offTrackEvents: telemetry.offTrackEvents };
}
