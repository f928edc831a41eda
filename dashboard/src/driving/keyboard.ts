/**
 * Keyboard driving as a fallback for the race wheel: hold an arrow key (or WASD) to steer or drive.
 * Values ramp smoothly towards the held keys and back to centre when released, so a tap gives a
 * small correction and a held key a full lock, as with a stick.
 */
export type DriveKey = 'left' | 'right' | 'up' | 'down';

const KEY_MAP: Record<string, DriveKey> = {
  ArrowLeft: 'left',
  KeyA: 'left',
  ArrowRight: 'right',
  KeyD: 'right',
  ArrowUp: 'up',
  KeyW: 'up',
  ArrowDown: 'down',
  KeyS: 'down',
};

/** The drive key a KeyboardEvent.code stands for. */
export function driveKeyOf(code: string): DriveKey | undefined {
  return KEY_MAP[code];
}

export interface RampSettings {
  /** steering change per second while a key is held */
  steerPerS: number;
  /** steering change per second back to centre once released */
  centrePerS: number;
  throttlePerS: number;
  /** throttle when the up key is held; a keyboard at full throttle is hard to keep on the track */
  maxThrottle: number;
}

export const DEFAULT_RAMP: Readonly<RampSettings> = Object.freeze({ steerPerS: 2.5, centrePerS: 4, throttlePerS: 1.5, maxThrottle: 0.5 });

export interface DriveInput {
  angle: number;
  throttle: number;
}

function approach(value: number, target: number, maxStep: number): number {
  if (Math.abs(target - value) <= maxStep) return target;
  return value + Math.sign(target - value) * maxStep;
}

export class KeyboardRamp {
  private readonly held = new Set<DriveKey>();
  private value: DriveInput = { angle: 0, throttle: 0 };

  constructor(private readonly settings: Readonly<RampSettings> = DEFAULT_RAMP) {}

  press(key: DriveKey): void {
    this.held.add(key);
  }

  release(key: DriveKey): void {
    this.held.delete(key);
  }

  releaseAll(): void {
    this.held.clear();
  }

  /** True while a key is held or the values are still returning to rest: the page keeps sending. */
  get active(): boolean {
    return this.held.size > 0 || this.value.angle !== 0 || this.value.throttle !== 0;
  }

  get current(): DriveInput {
    return { ...this.value };
  }

  /** Advances the ramp by `dtMs` and returns the new input. */
  step(dtMs: number): DriveInput {
    const dt = Math.max(0, Math.min(dtMs, 250)) / 1000;
    const s = this.settings;
    const steer = (this.held.has('right') ? 1 : 0) - (this.held.has('left') ? 1 : 0);
    const drive = (this.held.has('up') ? 1 : 0) - (this.held.has('down') ? 1 : 0);
    const steerRate = steer === 0 ? s.centrePerS : s.steerPerS;
    this.value = {
      angle: approach(this.value.angle, steer, steerRate * dt),
      throttle: approach(this.value.throttle, drive * s.maxThrottle, s.throttlePerS * dt),
    };
    return this.current;
  }
}
