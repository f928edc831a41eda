/**
 * metadata.json, saved beside every model: what the model is, the input it takes (frame size, crop,
 * normalisation), what it was trained on and how the training went. Its schema is checked on load,
 * so a model the car cannot feed correctly is refused before it drives.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { BACKEND_ORDER } from './backend.ts';
import { ANGLE_BINNING, throttleBinning } from './categorical.ts';
import { croppedShape, NO_CROP, PIXEL_NORMALIZATION, type Crop } from './input.ts';
import { MODEL_FRAME_SHAPE, MODEL_KINDS, type ModelKind } from './kinds.ts';
import { DEFAULT_MEMORY, MAX_MEMORY_LENGTH, type MemorySpec } from './memory.ts';

const PositiveInt = Type.Integer({ minimum: 1 });
const Count = Type.Integer({ minimum: 0 });
const BackendSchema = Type.Union(BACKEND_ORDER.map((name) => Type.Literal(name)));
const BinningSchema = Type.Object({ bins: Type.Integer({ minimum: 2, maximum: 256 }), offset: Type.Number(), range: Type.Number({ exclusiveMinimum: 0 }) });

/** How the training went (the trainer's result, kept with the model). */
export const TrainMetricsSchema = Type.Object({
  history: Type.Array(Type.Object({ epoch: Count, loss: Type.Number(), valLoss: Type.Number() })),
  bestValLoss: Type.Number(),
  bestEpoch: Count,
  epochs: Count,
  stoppedEarly: Type.Boolean(),
  durationS: Type.Number({ minimum: 0 }),
  /** of durationS: decoding the frames up front, and the validation passes */
  decodeS: Type.Optional(Type.Number({ minimum: 0 })),
  validateS: Type.Optional(Type.Number({ minimum: 0 })),
  backend: BackendSchema,
  trainSamples: Count,
  validationSamples: Count,
  /** samples skipped as unreadable (training and validation) */
  skippedSamples: Count,
  samplesPerS: Type.Number({ minimum: 0 }),
});

// Open objects (unknown fields are kept, not refused): a model saved by a newer trainer still drives.
export const ModelMetadataSchema = Type.Object({
  kind: Type.Union(MODEL_KINDS.map((kind) => Type.Literal(kind))),
  /** [height, width, channels] the model takes, after the crop */
  inputShape: Type.Tuple([PositiveInt, PositiveInt, PositiveInt]),
  /** [height, width] frames are resized to before the crop */
  frameSize: Type.Tuple([PositiveInt, PositiveInt]),
  crop: Type.Object({ top: Count, bottom: Count }),
  /** input = pixel · scale + offset */
  normalization: Type.Object({ scale: Type.Number(), offset: Type.Number() }),
  outputs: Type.Tuple([Type.Literal('angle'), Type.Literal('throttle')]),
  /** `categorical` models: how each softmax head's bins map to command values */
  categorical: Type.Optional(Type.Object({ angle: BinningSchema, throttle: BinningSchema })),
  /** `memory` models: how many past commands the second input holds */
  memory: Type.Optional(Type.Object({ length: Type.Integer({ minimum: 1, maximum: MAX_MEMORY_LENGTH }), startThrottle: Type.Number({ minimum: -1, maximum: 1 }) })),
  /** tub paths or names the model was trained on */
  tubs: Type.Array(Type.String()),
  metrics: Type.Optional(TrainMetricsSchema),
  backend: BackendSchema,
  durationS: Type.Number({ minimum: 0 }),
  createdAt: Type.String(),
});

export type TrainMetrics = Static<typeof TrainMetricsSchema>;
export type ModelMetadata = Static<typeof ModelMetadataSchema>;

export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

const check = TypeCompiler.Compile(ModelMetadataSchema);

/** The metadata if it is well formed and its input shape follows from its frame size and crop; else a ModelFormatError naming the field. */
export function checkModelMetadata(value: unknown, where: string): ModelMetadata {
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    throw new ModelFormatError(`${where}: ${first?.path.slice(1).replaceAll('/', '.') || '(root)'}: ${first?.message ?? 'invalid'}, got ${JSON.stringify(first?.value)}`);
  }
  const { frameSize, crop, inputShape } = value;
  let expected: [number, number, number] | undefined;
  try {
    expected = croppedShape(frameSize, crop);
  } catch (error) {
    throw new ModelFormatError(`${where}: ${(error as Error).message}`);
  }
  if (inputShape.some((d, i) => d !== expected[i])) {
    throw new ModelFormatError(`${where}: inputShape [${inputShape.join(', ')}] does not match frameSize and crop ([${expected.join(', ')}])`);
  }
  // a model whose outputs cannot be read back, or whose second input cannot be filled, must not drive
  if (value.kind === 'categorical' && !value.categorical) throw new ModelFormatError(`${where}: categorical: a categorical model needs its bins {angle, throttle}`);
  if (value.kind === 'memory' && !value.memory) throw new ModelFormatError(`${where}: memory: a memory model needs its memory {length, startThrottle}`);
  return value;
}

export interface ModelDescription {
  kind: ModelKind;
  crop?: Crop;
  /** categorical: the throttle bins' range (default Donkeycar's 0.5) */
  throttleRange?: number;
  /** memory: default Donkeycar's 3 commands from a standing start */
  memory?: MemorySpec;
  tubs?: string[];
  metrics?: TrainMetrics;
  backend: ModelMetadata['backend'];
  /** default: the metrics' training time, else 0 */
  durationS?: number;
  createdAt?: Date;
}

/** The metadata saved beside a model of this kind: its frame size, input shape, pixel scaling and outputs filled in. */
export function modelMetadata(description: ModelDescription): ModelMetadata {
  const { kind, metrics } = description;
  const [height, width] = MODEL_FRAME_SHAPE[kind];
  const crop = description.crop ?? NO_CROP;
  return {
    kind,
    inputShape: croppedShape([height, width], crop),
    frameSize: [height, width],
    crop,
    normalization: PIXEL_NORMALIZATION,
    outputs: ['angle', 'throttle'],
    ...(kind === 'categorical' ? { categorical: { angle: ANGLE_BINNING, throttle: throttleBinning(description.throttleRange) } } : {}),
    ...(kind === 'memory' ? { memory: description.memory ?? DEFAULT_MEMORY } : {}),
    tubs: description.tubs ?? [],
    ...(metrics ? { metrics } : {}),
    backend: description.backend,
    durationS: description.durationS ?? metrics?.durationS ?? 0,
    createdAt: (description.createdAt ?? new Date()).toISOString(),
  };
}
