/**
 * Green-screen compositor: decode a camera JPEG, key out the backdrop, blend the rest over the
 * steering-panned background, optionally filter, and encode a JPEG for the driver's screen.
 */
import sharp from 'sharp';
import { blendOver } from './blend.ts';
import { applyFilter, isFilterName, type FilterName } from './filters.ts';
import { buildKeyTable, resolveChromaKey, type ChromaKeySettings, type KeyTable } from './keying.ts';
import { LatestWins, type LatestWinsOptions } from './latest-wins.ts';
import { BackgroundPan } from './panning.ts';
import { isRawImage, type RawImage } from './raw-image.ts';

/** 'background' filters the background once when it is set (free per frame); 'output' filters every frame. */
export type FilterTarget = 'background' | 'output';

export type CompositorErrorReason = 'bad-frame' | 'bad-background' | 'bad-option';

export class CompositorError extends Error {
  constructor(
    readonly reason: CompositorErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'CompositorError';
  }
}

export interface CompositorOptions {
  width: number;
  height: number;
  /** packed RGB at exactly `height` rows and at least `width` columns (see fitBackground) */
  background: RawImage;
  settings?: Partial<ChromaKeySettings>;
  /** background pixels moved per frame at full steering lock (default 6) */
  panScale?: number;
  filter?: FilterName;
  filterTarget?: FilterTarget;
  /** JPEG quality 1–100 (default 80) */
  quality?: number;
}

export interface CompositeTimings {
  decodeMs: number;
  /** keying, blending and the output filter */
  keyMs: number;
  encodeMs: number;
  totalMs: number;
}

export interface CompositeResult {
  jpeg: Buffer;
  width: number;
  height: number;
  /** first background column shown in this frame */
  panOffset: number;
  /** the camera frame had another size (or channel count) and was converted first */
  resized: boolean;
  timings: CompositeTimings;
}

export interface Compositor {
  readonly width: number;
  readonly height: number;
  composite(jpeg: Buffer, angle: number): Promise<CompositeResult>;
  settings(): ChromaKeySettings;
  /** validates and applies a partial change; throws ChromaKeyError and keeps the old settings on bad input */
  updateSettings(update: unknown): ChromaKeySettings;
  setBackground(image: RawImage): void;
  setFilter(filter: FilterName, target?: FilterTarget): void;
  setPanScale(pixelsPerFrame: number): void;
  setQuality(quality: number): void;
}

const DEFAULT_PAN_SCALE = 6;
const DEFAULT_QUALITY = 80;

function checkDimension(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 8192) {
    throw new CompositorError('bad-option', `${name} must be an integer from 1 to 8192, got ${value}`);
  }
}

function checkPanScale(value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new CompositorError('bad-option', `panScale must be a finite number ≥ 0, got ${value}`);
  }
}

function checkQuality(value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 100) {
    throw new CompositorError('bad-option', `quality must be an integer from 1 to 100, got ${value}`);
  }
}

function checkFilter(filter: unknown, target: unknown): void {
  if (!isFilterName(filter)) throw new CompositorError('bad-option', `unknown filter ${JSON.stringify(filter)}`);
  if (target !== 'background' && target !== 'output') {
    throw new CompositorError('bad-option', `filter target must be 'background' or 'output', got ${JSON.stringify(target)}`);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createCompositor(options: CompositorOptions): Compositor {
  const { width, height } = options;
  checkDimension('width', width);
  checkDimension('height', height);
  let quality = options.quality ?? DEFAULT_QUALITY;
  checkQuality(quality);
  const panScale = options.panScale ?? DEFAULT_PAN_SCALE;
  checkPanScale(panScale);
  let filter: FilterName = options.filter ?? 'none';
  let filterTarget: FilterTarget = options.filterTarget ?? 'output';
  checkFilter(filter, filterTarget);

  let table: KeyTable = buildKeyTable(resolveChromaKey(options.settings ?? {}));
  let original: RawImage = checkBackground(options.background);
  let background: RawImage = original;
  const pan = new BackgroundPan(original.width, width, panScale);
  refreshBackground();

  // Output buffers are reused; sharp reads the one being encoded on a worker thread, so a second
  // overlapping composite() takes another buffer instead of overwriting it.
  const frameBytes = width * height * 3;
  // a frame bigger than the one this compositor was made for is refused from its header, never decoded
  const maxFramePixels = width * height;
  const spareBuffers: Buffer[] = [];

  function checkBackground(image: RawImage): RawImage {
    if (!isRawImage(image)) {
      throw new CompositorError('bad-background', 'background must be packed RGB with data.length = width × height × 3');
    }
    if (image.height !== height || image.width < width) {
      throw new CompositorError(
        'bad-background',
        `background is ${image.width}x${image.height}; it must be ${height} rows high and at least ${width} wide (use fitBackground)`,
      );
    }
    return image;
  }

  function refreshBackground(): void {
    if (filterTarget === 'background' && filter !== 'none') {
      const data = Buffer.from(original.data);
      applyFilter(data, original.width, original.height, filter);
      background = { width: original.width, height: original.height, data };
    } else {
      background = original;
    }
  }

  async function decode(jpeg: Buffer): Promise<{ data: Buffer; resized: boolean }> {
    if (!Buffer.isBuffer(jpeg) || jpeg.length === 0) throw new CompositorError('bad-frame', 'frame is empty');
    try {
      const { data, info } = await sharp(jpeg, { failOn: 'error', limitInputPixels: maxFramePixels }).raw().toBuffer({ resolveWithObject: true });
      if (info.width === width && info.height === height && info.channels === 3) return { data, resized: false };
      const converted = await sharp(jpeg, { failOn: 'error', limitInputPixels: maxFramePixels })
        .toColourspace('srgb')
        .resize(width, height, { fit: 'fill' })
        .removeAlpha()
        .raw()
        .toBuffer();
      return { data: converted, resized: true };
    } catch (error) {
      throw new CompositorError('bad-frame', `frame could not be decoded: ${errorText(error)}`);
    }
  }

  async function composite(jpeg: Buffer, angle: number): Promise<CompositeResult> {
    const start = performance.now();
    const frame = await decode(jpeg);
    const decoded = performance.now();

    const panOffset = pan.step(angle);
    const out = spareBuffers.pop() ?? Buffer.allocUnsafe(frameBytes);
    blendOver(
      {
        frame: frame.data,
        width,
        height,
        background: background.data,
        backgroundWidth: background.width,
        offsetX: panOffset,
        table,
      },
      out,
    );
    if (filterTarget === 'output') applyFilter(out, width, height, filter);
    const keyed = performance.now();

    let encoded: Buffer;
    try {
      encoded = await sharp(out, { raw: { width, height, channels: 3 } })
        .jpeg({ quality, chromaSubsampling: '4:2:0', optimiseCoding: false, mozjpeg: false })
        .toBuffer();
    } finally {
      spareBuffers.push(out);
    }
    const end = performance.now();
    return {
      jpeg: encoded,
      width,
      height,
      panOffset,
      resized: frame.resized,
      timings: { decodeMs: decoded - start, keyMs: keyed - decoded, encodeMs: end - keyed, totalMs: end - start },
    };
  }

  return {
    width,
    height,
    composite,
    settings: () => ({ ...table.settings }),
    updateSettings(update) {
      const next = resolveChromaKey(update, table.settings);
      table = buildKeyTable(next);
      return { ...next };
    },
    setBackground(image) {
      original = checkBackground(image);
      pan.reset(original.width);
      refreshBackground();
    },
    setFilter(next, target = filterTarget) {
      checkFilter(next, target);
      filter = next;
      filterTarget = target;
      refreshBackground();
    },
    setPanScale(pixelsPerFrame) {
      checkPanScale(pixelsPerFrame);
      pan.scale = pixelsPerFrame;
    },
    setQuality(next) {
      checkQuality(next);
      quality = next;
    },
  };
}

/** A camera frame as the compositor service receives it. */
export interface CameraFrame {
  jpeg: Buffer;
  /** steering angle in [-1, 1] at the time of the frame */
  angle: number;
  seq?: number;
}

/**
 * Drives a compositor from frames as they arrive: latest wins, stale frames are dropped and
 * counted (see LatestWins.stats()), never queued.
 */
export function createLatestFrameCompositor(
  compositor: Compositor,
  onOutput: LatestWinsOptions<CameraFrame, CompositeResult>['onOutput'],
  onError?: LatestWinsOptions<CameraFrame, CompositeResult>['onError'],
): LatestWins<CameraFrame, CompositeResult> {
  return new LatestWins<CameraFrame, CompositeResult>({
    work: (frame) => compositor.composite(frame.jpeg, frame.angle),
    onOutput,
    ...(onError ? { onError } : {}),
  });
}
