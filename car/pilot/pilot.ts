/**
 * The pilot interface: something that turns a camera frame (and, in the simulator, the car's
 * pose) into steering and throttle. The neural pilot and the simulator's expert implement it; a
 * registry picks one by name from configuration.
 */
import { performance } from 'node:perf_hooks';
import type { SimState } from '../../protocol/index.ts';
import type { Steering } from './modes.ts';

/** how a pilot decides: a fixed answer (tests), the simulator's expert, or a trained model */
export type PilotKind = 'constant' | 'expert' | 'model';

export interface PilotFrame {
  jpeg: Buffer;
  width: number;
  height: number;
  /** the frame's bus seq, echoed in the drive command as frameSeq */
  seq: number;
  /** capture wall clock, ms */
  ts: number;
}

export interface PilotInput {
  frame: PilotFrame;
  /** the car's pose from the simulator, for the expert pilot; absent on a real car */
  sim?: SimState;
}

export type PilotOutput = Steering;

export interface Pilot {
  readonly name: string;
  readonly kind: PilotKind;
  infer(input: PilotInput): Promise<PilotOutput> | PilotOutput;
  /** releases what the pilot holds (a model's tensors); optional */
  close?(): Promise<void> | void;
}

/** A pilot could not be chosen or built; the message names which and why. */
export class PilotError extends Error {
  override readonly name = 'PilotError';
}

/** Always answers the same; for tests and for bench-testing the actuator path. */
export class ConstantPilot implements Pilot {
  readonly kind = 'constant';
  readonly output: PilotOutput;

  constructor(output: PilotOutput = { angle: 0, throttle: 0 }, readonly name = 'constant') {
    if (!Number.isFinite(output.angle) || !Number.isFinite(output.throttle)) {
      throw new PilotError(`ConstantPilot needs finite angle and throttle, got ${JSON.stringify(output)}`);
    }
    this.output = { angle: output.angle, throttle: output.throttle };
  }

  infer(): PilotOutput {
    return { ...this.output };
  }
}

export type PilotOptions = Readonly<Record<string, unknown>>;
export type PilotFactory = (options: PilotOptions) => Pilot | Promise<Pilot>;

/** Pilots by name, so configuration (`drive.pilot`) chooses one without code changes. */
export class PilotRegistry {
  private readonly factories = new Map<string, PilotFactory>();

  register(name: string, factory: PilotFactory): this {
    if (name === '') throw new PilotError('a pilot needs a name');
    if (this.factories.has(name)) throw new PilotError(`a pilot named "${name}" is already registered`);
    this.factories.set(name, factory);
    return this;
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  names(): string[] {
    return [...this.factories.keys()].sort();
  }

  async create(name: string, options: PilotOptions = {}): Promise<Pilot> {
    const factory = this.factories.get(name);
    if (!factory) {
      const known = this.names();
      throw new PilotError(`unknown pilot "${name}"; known pilots: ${known.length > 0 ? known.join(', ') : '(none)'}`);
    }
    return factory(options);
  }
}

/** A registry with the pilots this folder provides: `constant` (options: angle, throttle). */
export function createPilotRegistry(): PilotRegistry {
  return new PilotRegistry().register('constant', (options) => {
    const angle = options.angle ?? 0;
    const throttle = options.throttle ?? 0;
    if (typeof angle !== 'number' || typeof throttle !== 'number') {
      throw new PilotError(`constant pilot: angle and throttle must be numbers, got ${JSON.stringify({ angle, throttle })}`);
    }
    return new ConstantPilot({ angle, throttle });
  });
}

export interface PilotRun {
  /** undefined when the pilot failed or answered nonsense: the drive decision then stops */
  output: PilotOutput | undefined;
  inferMs: number;
  error?: string;
}

/** Runs one inference, timed; a throw or a non-finite answer becomes "no output", never a crash. */
export async function runPilot(pilot: Pilot, input: PilotInput, now: () => number = () => performance.now()): Promise<PilotRun> {
  const started = now();
  try {
    const answer = await pilot.infer(input);
    const inferMs = Math.max(0, now() - started);
    if (!answer || !Number.isFinite(answer.angle) || !Number.isFinite(answer.throttle)) {
      return { output: undefined, inferMs, error: `pilot "${pilot.name}" answered ${safeJson(answer)}: not finite angle and throttle` };
    }
    return { output: { angle: answer.angle, throttle: answer.throttle }, inferMs };
  } catch (err) {
    return { output: undefined, inferMs: Math.max(0, now() - started), error: `pilot "${pilot.name}" failed: ${(err as Error)?.message ?? String(err)}` };
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
