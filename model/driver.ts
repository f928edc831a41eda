/**
 * A loaded model as a driver: the frame's input pixels in, a command out. The one place that knows
 * how each kind is fed and read back (one linear unit per command, Donkeycar's bins, the memory
 * of past commands), shared by the car's pilot, the trainer's closed-loop evaluation and the
 * arena. A temporal model's state lives here: a new driver, or reset(), starts it afresh.
 */
import * as tf from '@tensorflow/tfjs';
import { clampUnit } from '../runtime/index.ts';
import { unbin } from './categorical.ts';
import { inferenceModel } from './inference.ts';
import { CommandMemory } from './memory.ts';
import type { ModelMetadata } from './metadata.ts';

export interface Command {
  angle: number;
  throttle: number;
}

export class ModelDriver {
  private readonly memory: CommandMemory | undefined;
  private readonly inputSize: number;

  /**
   * `model` is the model as loaded or trained; the driver runs a copy of its graph without dropout
   * that shares its weights. dispose() frees that copy; the caller still owns (and disposes) `model`.
   */
  constructor(
    model: tf.LayersModel,
    readonly metadata: ModelMetadata,
    private readonly graph: tf.LayersModel = inferenceModel(model),
  ) {
    this.memory = metadata.memory ? new CommandMemory(metadata.memory) : undefined;
    this.inputSize = metadata.inputShape.reduce((a, b) => a * b, 1);
    const inputs = this.graph.inputs.length;
    if (inputs !== (this.memory ? 2 : 1)) throw new Error(`a ${metadata.kind} model takes ${this.memory ? 2 : 1} input(s); this graph has ${inputs}`);
  }

  /** Forgets the commands a temporal model remembers (a new run, a new model). */
  reset(): void {
    this.memory?.reset();
  }

  /** The command for one frame's input pixels (the output of frameToInput for this model). */
  async decide(pixels: Float32Array): Promise<Command> {
    const output = this.outputs(pixels);
    try {
      return this.remember(await output.data());
    } finally {
      output.dispose();
    }
  }

  /** As decide(), blocking: for a simulation loop that steps in lockstep with the model. */
  decideSync(pixels: Float32Array): Command {
    const output = this.outputs(pixels);
    try {
      return this.remember(output.dataSync());
    } finally {
      output.dispose();
    }
  }

  dispose(): void {
    this.graph.dispose();
  }

  /** Every head's values, flattened in head order (angle first). */
  private outputs(pixels: Float32Array): tf.Tensor {
    if (pixels.length !== this.inputSize) throw new Error(`model input has ${pixels.length} values, expected [${this.metadata.inputShape.join(', ')}] = ${this.inputSize}`);
    return tf.tidy(() => {
      const image = tf.tensor4d(pixels, [1, ...this.metadata.inputShape]);
      const inputs = this.memory ? [image, tf.tensor2d(this.memory.input(), [1, 2 * this.memory.spec.length])] : image;
      const answer = this.graph.predict(inputs);
      const heads = Array.isArray(answer) ? answer : [answer];
      return tf.concat(heads.map((t) => t.reshape([-1])));
    });
  }

  private remember(values: ArrayLike<number>): Command {
    const command = this.read(values);
    this.memory?.push(command.angle, command.throttle);
    return command;
  }

  private read(values: ArrayLike<number>): Command {
    const bins = this.metadata.categorical;
    if (bins) {
      const expected = bins.angle.bins + bins.throttle.bins;
      if (values.length !== expected) throw new Error(`categorical model gave ${values.length} outputs, expected ${bins.angle.bins} angle and ${bins.throttle.bins} throttle bins`);
      const all = Array.from(values);
      return { angle: clampUnit(unbin(all.slice(0, bins.angle.bins), bins.angle)), throttle: clampUnit(unbin(all.slice(bins.angle.bins), bins.throttle)) };
    }
    if (values.length !== 2) throw new Error(`model gave ${values.length} outputs, expected angle and throttle`);
    return { angle: clampUnit(values[0]!), throttle: clampUnit(values[1]!) };
  }
}
