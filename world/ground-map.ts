/**
 * The ground seen from above, painted once per (track, seed) into a colour raster at 1 cm (plus
 * coarser averaged levels for distant ground): off-track ground (a tiling noise texture), road,
 * white edge lines, a dashed yellow centre line and a chequered start line. Rendering then only
 * looks colours up. Cached per track and seed; painting takes a few hundred ms.
 */
import { seededRandom } from '../runtime/index.ts';
import type { Track } from './track.ts';

export type Rgb = readonly [number, number, number];

export const ROAD_GREY: Rgb = [72, 72, 78];
export const EDGE_WHITE: Rgb = [236, 236, 236];
export const CENTRE_YELLOW: Rgb = [232, 188, 36];
/** The ground's mean colour: warm and reddish, far from the chroma green the NUC keys out. */
export const GROUND_BROWN: Rgb = [150, 118, 92];
const START_DARK: Rgb = [24, 24, 24];

const EDGE_LINE_M = 0.05;
const CENTRE_LINE_M = 0.04;
const DASH_M = 0.3;
const START_SQUARE_M = 0.05;

/** The ground texture tiles every TEXTURE_CELLS cells (5.12 m at 1 cm): a power of two for masking. */
export const TEXTURE_CELLS = 512;

/** One level of detail: colours packed 0x00BBGGRR, one 32-bit read per pixel. */
export interface GroundLevel {
  /** metres per cell */
  resolution: number;
  columns: number;
  rows: number;
  /** row-major, row 0 at the map's originY */
  cells: Uint32Array;
  /** the off-track texture at this level, textureSize² cells, addressed by global cell index masked */
  texture: Uint32Array;
  textureSize: number;
  /** the map's corner as a global cell index at this level, for the texture lookup */
  originCellX: number;
  originCellY: number;
}

export interface GroundMap {
  /** world position of the map's corner; a whole number of coarsest cells so every level lines up */
  originX: number;
  originY: number;
  /** level 0 at 1 cm, each next level halving the resolution: far rows read coarse levels */
  levels: GroundLevel[];
}

/** Number of extra levels of detail (each half the resolution of the one before). */
const MIP_LEVELS = 5;

const cache = new WeakMap<Track, Map<number, GroundMap>>();

export function groundMapFor(track: Track, seed: number): GroundMap {
  let bySeed = cache.get(track);
  if (!bySeed) {
    bySeed = new Map();
    cache.set(track, bySeed);
  }
  let map = bySeed.get(seed);
  if (!map) {
    map = paintGroundMap(track, seed);
    bySeed.set(seed, map);
  }
  return map;
}

export function paintGroundMap(track: Track, seed: number, resolution = 0.01): GroundMap {
  const random = seededRandom(seed);
  const texture = paintTexture(random);
  const margin = track.width / 2 + 0.5;
  const align = 1 << MIP_LEVELS;
  const originCellX = Math.floor((track.bounds.minX - margin) / resolution / align) * align;
  const originCellY = Math.floor((track.bounds.minY - margin) / resolution / align) * align;
  const columns = Math.ceil(((track.bounds.maxX + margin) / resolution - originCellX) / align) * align;
  const rows = Math.ceil(((track.bounds.maxY + margin) / resolution - originCellY) / align) * align;
  const rgb = new Uint8Array(columns * rows * 3);
  const half = track.width / 2;
  const grain = seededRandom(seed ^ 0x5bd1e995);
  const road = roadField(track, originCellX * resolution, originCellY * resolution, columns, rows, resolution);
  for (let row = 0; row < rows; row++) {
    const ty = ((originCellY + row) & (TEXTURE_CELLS - 1)) * TEXTURE_CELLS;
    for (let col = 0; col < columns; col++) {
      const cell = row * columns + col;
      const out = cell * 3;
      let colour: Rgb | undefined;
      const cte = road.cte[cell]!;
      const off = Math.abs(cte);
      if (off <= half) {
        const s = road.progress[cell]!;
        const fromStart = s < track.length / 2 ? s : s - track.length;
        if (fromStart >= 0 && fromStart < 2 * START_SQUARE_M) {
          const chequer = (Math.floor(fromStart / START_SQUARE_M) + Math.floor((cte + half) / START_SQUARE_M)) & 1;
          colour = chequer ? EDGE_WHITE : START_DARK;
        } else if (off >= half - EDGE_LINE_M) colour = EDGE_WHITE;
        else if (off <= CENTRE_LINE_M / 2 && s % (2 * DASH_M) < DASH_M) colour = CENTRE_YELLOW;
        else {
          // Asphalt grain, so the road has texture a model can see motion in.
          const g = Math.round((grain() - 0.5) * 16);
          rgb[out] = ROAD_GREY[0] + g;
          rgb[out + 1] = ROAD_GREY[1] + g;
          rgb[out + 2] = ROAD_GREY[2] + g;
          continue;
        }
      }
      if (colour) {
        rgb[out] = colour[0];
        rgb[out + 1] = colour[1];
        rgb[out + 2] = colour[2];
      } else {
        const t = (ty + ((originCellX + col) & (TEXTURE_CELLS - 1))) * 3;
        rgb[out] = texture[t]!;
        rgb[out + 1] = texture[t + 1]!;
        rgb[out + 2] = texture[t + 2]!;
      }
    }
  }
  const levels: GroundLevel[] = [
    { resolution, columns, rows, cells: pack(rgb), texture: pack(texture), textureSize: TEXTURE_CELLS, originCellX, originCellY },
  ];
  for (let k = 1; k <= MIP_LEVELS; k++) {
    const finer = levels[k - 1]!;
    levels.push({
      resolution: finer.resolution * 2,
      columns: finer.columns / 2,
      rows: finer.rows / 2,
      cells: halve(finer.cells, finer.columns, finer.rows),
      texture: halve(finer.texture, finer.textureSize, finer.textureSize),
      textureSize: finer.textureSize / 2,
      originCellX: finer.originCellX / 2,
      originCellY: finer.originCellY / 2,
    });
  }
  return { originX: originCellX * resolution, originY: originCellY * resolution, levels };
}

/**
 * Signed cross-track error and progress of every cell within half a road width of the centerline
 * (others stay at +Infinity), found by visiting each centerline segment's neighbourhood once:
 * far cheaper than a nearest-point query per cell.
 */
function roadField(track: Track, originX: number, originY: number, columns: number, rows: number, resolution: number): { cte: Float32Array; progress: Float32Array } {
  const { xs, ys, along } = track.centerline();
  const reach = track.width / 2 + resolution;
  const cte = new Float32Array(columns * rows).fill(Infinity);
  const progress = new Float32Array(columns * rows);
  const n = xs.length;
  for (let i = 0; i < n; i++) {
    const j = i + 1 === n ? 0 : i + 1;
    const ax = xs[i]!;
    const ay = ys[i]!;
    const dx = xs[j]! - ax;
    const dy = ys[j]! - ay;
    const lengthSq = dx * dx + dy * dy;
    const length = Math.sqrt(lengthSq);
    const c0 = Math.max(0, Math.floor((Math.min(ax, ax + dx) - reach - originX) / resolution));
    const c1 = Math.min(columns - 1, Math.ceil((Math.max(ax, ax + dx) + reach - originX) / resolution));
    const r0 = Math.max(0, Math.floor((Math.min(ay, ay + dy) - reach - originY) / resolution));
    const r1 = Math.min(rows - 1, Math.ceil((Math.max(ay, ay + dy) + reach - originY) / resolution));
    for (let r = r0; r <= r1; r++) {
      const py = originY + (r + 0.5) * resolution - ay;
      for (let c = c0; c <= c1; c++) {
        const px = originX + (c + 0.5) * resolution - ax;
        let t = lengthSq > 0 ? (px * dx + py * dy) / lengthSq : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = px - dx * t;
        const ey = py - dy * t;
        const distanceSq = ex * ex + ey * ey;
        const cell = r * columns + c;
        const best = cte[cell]!;
        if (distanceSq < best * best) {
          const distance = Math.sqrt(distanceSq);
          // Positive right of the direction of travel, as Track.closest.
          cte[cell] = dx * py - dy * px > 0 ? -distance : distance;
          let s = along[i]! + t * length;
          if (s >= track.length) s -= track.length;
          progress[cell] = s;
        }
      }
    }
  }
  return { cte, progress };
}

function pack(rgb: Uint8Array): Uint32Array {
  const out = new Uint32Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = rgb[i * 3]! | (rgb[i * 3 + 1]! << 8) | (rgb[i * 3 + 2]! << 16);
  return out;
}

/** Averages 2×2 blocks (dimensions are even by construction). */
function halve(cells: Uint32Array, columns: number, rows: number): Uint32Array {
  const w = columns / 2;
  const h = rows / 2;
  const out = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 2 * y * columns + 2 * x;
      const a = cells[i]!;
      const b = cells[i + 1]!;
      const c = cells[i + columns]!;
      const d = cells[i + columns + 1]!;
      const red = ((a & 255) + (b & 255) + (c & 255) + (d & 255) + 2) >> 2;
      const green = (((a >> 8) & 255) + ((b >> 8) & 255) + ((c >> 8) & 255) + ((d >> 8) & 255) + 2) >> 2;
      const blue = (((a >> 16) & 255) + ((b >> 16) & 255) + ((c >> 16) & 255) + ((d >> 16) & 255) + 2) >> 2;
      out[y * w + x] = red | (green << 8) | (blue << 16);
    }
  }
  return out;
}

/** Tileable value noise at two scales plus per-cell grain: patches of floor with fine speckle. */
function paintTexture(random: () => number): Uint8Array {
  const size = TEXTURE_CELLS;
  const coarse = latticeNoise(random, size, 32);
  const fine = latticeNoise(random, size, 4);
  const out = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const shade = 0.75 + 0.35 * coarse[i]! + 0.15 * fine[i]! + 0.08 * random();
    out[i * 3] = clampByte(GROUND_BROWN[0] * shade);
    out[i * 3 + 1] = clampByte(GROUND_BROWN[1] * shade);
    out[i * 3 + 2] = clampByte(GROUND_BROWN[2] * shade);
  }
  return out;
}

/** Smoothly interpolated random values on a lattice every `period` cells, wrapping at `size`. */
function latticeNoise(random: () => number, size: number, period: number): Float32Array {
  const points = size / period;
  const lattice = Float32Array.from({ length: points * points }, () => random());
  const out = new Float32Array(size * size);
  const smooth = (t: number) => t * t * (3 - 2 * t);
  for (let y = 0; y < size; y++) {
    const ly = Math.floor(y / period);
    const fy = smooth((y % period) / period);
    const y0 = ly * points;
    const y1 = ((ly + 1) % points) * points;
    for (let x = 0; x < size; x++) {
      const lx = Math.floor(x / period);
      const fx = smooth((x % period) / period);
      const x1 = (lx + 1) % points;
      const top = lattice[y0 + lx]! * (1 - fx) + lattice[y0 + x1]! * fx;
      const bottom = lattice[y1 + lx]! * (1 - fx) + lattice[y1 + x1]! * fx;
      out[y * size + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

function clampByte(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}
