/**
 * The memory model's second input (Donkeycar's KerasMemory): the last `length` commands, oldest
 * first, as [angle, throttle, angle, throttle, …]. Before any command it holds [0, startThrottle]
 * pairs, as Donkeycar's `mem_seq`. The pilot keeps one per loaded model and pushes each decision.
 */

export interface MemorySpec {
  /** commands remembered (Donkeycar's mem_length, default 3) */
  length: number;
  /** the throttle the memory starts filled with (Donkeycar's mem_start_speed, default 0) */
  startThrottle: number;
}

export const DEFAULT_MEMORY: MemorySpec = { length: 3, startThrottle: 0 };
export const MAX_MEMORY_LENGTH = 32;

export class CommandMemory {
  private readonly values: Float32Array;

  constructor(readonly spec: MemorySpec) {
    if (!Number.isInteger(spec.length) || spec.length < 1 || spec.length > MAX_MEMORY_LENGTH) {
      throw new Error(`memory length must be an integer in [1, ${MAX_MEMORY_LENGTH}], got ${spec.length}`);
    }
    this.values = new Float32Array(2 * spec.length);
    this.reset();
  }

  /** Back to the start: what a new run, or a freshly swapped model, begins with. */
  reset(): void {
    for (let i = 0; i < this.spec.length; i++) {
      this.values[2 * i] = 0;
      this.values[2 * i + 1] = this.spec.startThrottle;
    }
  }

  /** Forgets the oldest command and remembers this one. */
  push(angle: number, throttle: number): void {
    this.values.copyWithin(0, 2);
    this.values[this.values.length - 2] = angle;
    this.values[this.values.length - 1] = throttle;
  }

  /** A copy of the input, oldest command first. */
  input(): Float32Array {
    return this.values.slice();
  }
}
