/**
 * The car's camera: a pinhole camera on the car looking ahead and slightly down at the painted
 * ground map. Above the horizon every pixel is one exact chroma green, the green screen the NUC keys
 * out. A row of pixels below the horizon is a straight line on the flat ground, so each row costs
 * one division and then a linear walk through the map: no trigonometry per pixel.
 */
import sharp from 'sharp';
import { drawCars, type CarSprite } from './car-sprites.ts';
import { groundMapFor } from './ground-map.ts';
import type { Rgb } from './ground-map.ts';
import type { Pose, Track } from './track.ts';

/** The backdrop above the horizon: exactly this colour, on every pixel, every frame. */
export const CHROMA_GREEN: Rgb = [0, 177, 64];

export interface CameraParams {
  /** lens height above the ground */
  heightM: number;
  /** downward tilt from horizontal */
  pitchDeg: number;
  /** horizontal field of view */
  fovDeg: number;
  /** lens position ahead of the car's centre */
  forwardM: number;
}

export const DEFAULT_CAMERA: CameraParams = { heightM: 0.2, pitchDeg: 18, fovDeg: 100, forwardM: 0.12 };

export interface RendererOptions {
  track: Track;
  width: number;
  height: number;
  /** seeds the ground texture; the same seed and pose give the same bytes */
  seed?: number;
  camera?: Partial<CameraParams>;
}

export interface Renderer {
  readonly width: number;
  readonly height: number;
  /** rows 0..horizonRow-1 are all CHROMA_GREEN */
  readonly horizonRow: number;
  /**
   * Raw RGB, width × height × 3, with the other cars on the track drawn in. The buffer is reused by
   * the next call: copy it to keep it.
   */
  render(pose: Pose, others?: readonly CarSprite[]): Buffer;
}

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

const MAX_SIDE = 4096;
/** 2^20 cells (10 km at 1 cm): larger than any view, and a multiple of every texture size. */
const TEXTURE_SHIFT = 1 << 20;

function checkOptions(options: RendererOptions, camera: CameraParams): void {
  for (const side of ['width', 'height'] as const) {
    const value = options[side];
    if (!Number.isInteger(value) || value < 1 || value > MAX_SIDE) throw new RenderError(`renderer ${side} must be an integer 1..${MAX_SIDE}, got ${value}`);
  }
  if (!(camera.heightM > 0)) throw new RenderError(`camera.heightM must be positive, got ${camera.heightM}`);
  if (!(camera.fovDeg > 0 && camera.fovDeg < 170)) throw new RenderError(`camera.fovDeg must be in (0, 170), got ${camera.fovDeg}`);
  if (!(camera.pitchDeg > -80 && camera.pitchDeg < 80)) throw new RenderError(`camera.pitchDeg must be in (-80, 80), got ${camera.pitchDeg}`);
  if (!Number.isFinite(camera.forwardM)) throw new RenderError(`camera.forwardM must be a number, got ${camera.forwardM}`);
}

export function createRenderer(options: RendererOptions): Renderer {
  const camera: CameraParams = { ...DEFAULT_CAMERA, ...options.camera };
  checkOptions(options, camera);
  const { width, height } = options;
  const map = groundMapFor(options.track, options.seed ?? 0);
  const pitch = (camera.pitchDeg * Math.PI) / 180;
  const focal = width / 2 / Math.tan((camera.fovDeg * Math.PI) / 360);
  const sinP = Math.sin(pitch);
  const cosP = Math.cos(pitch);

  // Per row: how far the ray for a unit image offset travels (t) and how far ahead it lands.
  const rowT = new Float64Array(height);
  const rowAhead = new Float64Array(height);
  let horizonRow = 0;
  for (let v = 0; v < height; v++) {
    const a = (v + 0.5 - height / 2) / focal;
    const down = sinP + a * cosP;
    // Rays that barely dip would land kilometres away: treat them as sky, so the backdrop is clean.
    if (down <= 1e-3) {
      horizonRow = v + 1;
      continue;
    }
    rowT[v] = camera.heightM / down;
    rowAhead[v] = rowT[v]! * (cosP - a * sinP);
  }

  // Per row: the level of detail whose cells are about one pixel wide, across and along the row,
  // so distant ground is averaged rather than aliased (and its reads stay in cache).
  const rowLevel = new Int32Array(height);
  const base = map.levels[0]!.resolution;
  for (let v = horizonRow; v < height; v++) {
    const across = rowT[v]! / focal;
    const along = v + 1 < height ? Math.abs(rowAhead[v]! - rowAhead[v + 1]!) : 0;
    const cells = Math.max(across, along) / base;
    rowLevel[v] = Math.max(0, Math.min(map.levels.length - 1, Math.floor(Math.log2(Math.max(cells, 1)))));
  }

  const rgb = Buffer.alloc(width * height * 3);
  const green = Buffer.from(CHROMA_GREEN);
  const skyBytes = horizonRow * width * 3;
  const { originX, originY, levels } = map;
  const firstColumn = (0.5 - width / 2) / focal;

  return {
    width,
    height,
    horizonRow,
    render(pose, others = []) {
      if (skyBytes > 0) rgb.fill(green, 0, skyBytes);
      const cos = Math.cos(pose.heading);
      const sin = Math.sin(pose.heading);
      const lensX = pose.x + camera.forwardM * cos;
      const lensY = pose.y + camera.forwardM * sin;
      let out = skyBytes;
      for (let v = horizonRow; v < height; v++) {
        const level = levels[rowLevel[v]!]!;
        const { cells, columns, rows, texture, textureSize } = level;
        const mask = textureSize - 1;
        const resolution = level.resolution;
        const t = rowT[v]!;
        const ahead = rowAhead[v]!;
        // Start of the row (leftmost pixel) and per-pixel step, in map cells; right is (sin, -cos).
        const lateral = t * firstColumn;
        let mx = (lensX + ahead * cos + lateral * sin - originX) / resolution;
        let my = (lensY + ahead * sin - lateral * cos - originY) / resolution;
        const dx = ((t / focal) * sin) / resolution;
        const dy = ((-t / focal) * cos) / resolution;
        // Global cell coordinates shifted by a multiple of the texture size, so `| 0` floors them.
        const textureX = level.originCellX + TEXTURE_SHIFT;
        const textureY = level.originCellY + TEXTURE_SHIFT;
        for (let u = 0; u < width; u++, out += 3, mx += dx, my += dy) {
          let colour: number;
          if (mx >= 0 && my >= 0 && mx < columns && my < rows) {
            colour = cells[(my | 0) * columns + (mx | 0)]!;
          } else {
            colour = texture[(((my + textureY) | 0) & mask) * textureSize + (((mx + textureX) | 0) & mask)]!;
          }
          // Typed-array stores keep the low byte.
          rgb[out] = colour;
          rgb[out + 1] = colour >> 8;
          rgb[out + 2] = colour >> 16;
        }
      }
      if (others.length > 0) drawCars(rgb, { width, height, focal, pitch, camera, lensX, lensY, heading: pose.heading }, others);
      return rgb;
    },
  };
}

/** JPEG bytes of a raw RGB frame, for the camera service's frame payload. */
export async function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality = 80): Promise<Buffer> {
  if (rgb.length !== width * height * 3) {
    throw new RenderError(`encodeJpeg: ${rgb.length} bytes is not a ${width}x${height} RGB frame (${width * height * 3} bytes)`);
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality }).toBuffer();
}
