/**
 * A track's geometry: the closed centerline smoothed through the file's points, resampled at even
 * spacing, with the queries physics, rendering and the expert need (closest point, point at a
 * distance along the loop, curvature). Immutable once built.
 */

/** A track as stored in a file: a closed centerline through `points` (metres) and a road width. */
export interface TrackSpec {
  name: string;
  description?: string;
  /** road width in metres, edge to edge */
  width: number;
  /** control points of the closed centerline, raced in this order; the start line is at points[0] */
  points: ReadonlyArray<readonly [number, number]>;
}

export interface Pose {
  x: number;
  y: number;
  /** radians, anticlockwise from +x */
  heading: number;
}

export interface ClosestPoint {
  /** distance along the loop from the start line, in [0, length) */
  progress: number;
  /** signed cross-track error in metres: positive when the query point is right of the centerline */
  cte: number;
  /** the centerline's direction of travel there, radians */
  heading: number;
  x: number;
  y: number;
}

/** Spacing of the resampled centerline: fine enough that a segment's chord error is a fraction of a mm. */
const SAMPLE_SPACING_M = 0.05;
/** Cell size of the nearest-segment lookup grid. */
const GRID_CELL_M = 0.25;
/** How far around the track the lookup grid reaches; farther points fall back to a full search. */
const GRID_MARGIN_M = 4;

export class Track {
  readonly name: string;
  readonly description: string;
  readonly width: number;
  /** loop length in metres */
  readonly length: number;
  /** axis-aligned bounds of the centerline, in metres */
  readonly bounds: { minX: number; minY: number; maxX: number; maxY: number };

  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  /** distance along the loop at each sample */
  private readonly along: Float64Array;
  private readonly headings: Float64Array;
  private readonly curvatures: Float64Array;
  private readonly grid: SegmentGrid;

  constructor(spec: TrackSpec) {
    this.name = spec.name;
    this.description = spec.description ?? '';
    this.width = spec.width;
    const [xs, ys] = resampleClosed(smoothClosed(spec.points), SAMPLE_SPACING_M);
    const n = xs.length;
    this.xs = xs;
    this.ys = ys;
    this.along = new Float64Array(n);
    this.headings = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const dx = xs[j]! - xs[i]!;
      const dy = ys[j]! - ys[i]!;
      this.along[i] = total;
      this.headings[i] = Math.atan2(dy, dx);
      total += Math.hypot(dx, dy);
    }
    this.length = total;
    this.curvatures = curvatureOf(this.headings, this.along, total);
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, xs[i]!);
      maxX = Math.max(maxX, xs[i]!);
      minY = Math.min(minY, ys[i]!);
      maxY = Math.max(maxY, ys[i]!);
    }
    this.bounds = { minX, minY, maxX, maxY };
    this.grid = new SegmentGrid(xs, ys, this.bounds);
  }

  /** Where the car starts: on the start line, facing the direction of travel. */
  get startPose(): Pose {
    return { x: this.xs[0]!, y: this.ys[0]!, heading: this.headings[0]! };
  }

  /** The nearest point of the centerline to (x, y). */
  closest(x: number, y: number): ClosestPoint {
    const found = this.grid.nearest(x, y);
    const i = found.segment;
    const j = (i + 1) % this.xs.length;
    const ax = this.xs[i]!;
    const ay = this.ys[i]!;
    const dx = this.xs[j]! - ax;
    const dy = this.ys[j]! - ay;
    const cross = dx * (y - ay) - dy * (x - ax);
    const distance = Math.sqrt(found.distanceSq);
    const segmentLength = Math.hypot(dx, dy);
    let progress = this.along[i]! + found.t * segmentLength;
    if (progress >= this.length) progress -= this.length;
    return {
      progress,
      cte: cross > 0 ? -distance : distance,
      heading: this.headings[i]!,
      x: ax + dx * found.t,
      y: ay + dy * found.t,
    };
  }

  /** The resampled centerline (a closed polyline) with each sample's distance along the loop. Read only. */
  centerline(): { readonly xs: Float64Array; readonly ys: Float64Array; readonly along: Float64Array } {
    return { xs: this.xs, ys: this.ys, along: this.along };
  }

  /** The centerline point `progress` metres along the loop (any value; it wraps). */
  pointAt(progress: number): Pose {
    const i = this.sampleIndexAt(progress);
    const s = wrap(progress, this.length);
    const t = s - this.along[i]!;
    const heading = this.headings[i]!;
    return { x: this.xs[i]! + Math.cos(heading) * t, y: this.ys[i]! + Math.sin(heading) * t, heading };
  }

  /** Signed curvature (1/m, positive turning left) at `progress` metres along the loop. */
  curvatureAt(progress: number): number {
    return this.curvatures[this.sampleIndexAt(progress)]!;
  }

  /** Signed difference b − a of two progress values, the short way round the loop. */
  progressDelta(from: number, to: number): number {
    let d = to - from;
    const half = this.length / 2;
    if (d > half) d -= this.length;
    else if (d <= -half) d += this.length;
    return d;
  }

  private sampleIndexAt(progress: number): number {
    const s = wrap(progress, this.length);
    let lo = 0;
    let hi = this.along.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.along[mid]! <= s) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

function wrap(value: number, period: number): number {
  const r = value % period;
  return r < 0 ? r + period : r;
}

/**
 * Centripetal Catmull-Rom through the closed list of points: it passes through every point and,
 * unlike the uniform variant, never loops or cusps between unevenly spaced points.
 */
function smoothClosed(points: TrackSpec['points']): Array<[number, number]> {
  const n = points.length;
  const out: Array<[number, number]> = [];
  const at = (i: number) => points[((i % n) + n) % n]!;
  for (let i = 0; i < n; i++) {
    const p0 = at(i - 1);
    const p1 = at(i);
    const p2 = at(i + 1);
    const p3 = at(i + 2);
    const t1 = Math.sqrt(Math.hypot(p1[0] - p0[0], p1[1] - p0[1])) || 1e-6;
    const t2 = t1 + (Math.sqrt(Math.hypot(p2[0] - p1[0], p2[1] - p1[1])) || 1e-6);
    const t3 = t2 + (Math.sqrt(Math.hypot(p3[0] - p2[0], p3[1] - p2[1])) || 1e-6);
    const steps = Math.max(4, Math.ceil(Math.hypot(p2[0] - p1[0], p2[1] - p1[1]) / 0.01));
    for (let k = 0; k < steps; k++) {
      const t = t1 + ((t2 - t1) * k) / steps;
      out.push([barryGoldman(p0[0], p1[0], p2[0], p3[0], t1, t2, t3, t), barryGoldman(p0[1], p1[1], p2[1], p3[1], t1, t2, t3, t)]);
    }
  }
  return out;
}

function barryGoldman(p0: number, p1: number, p2: number, p3: number, t1: number, t2: number, t3: number, t: number): number {
  const a1 = ((t1 - t) / t1) * p0 + (t / t1) * p1;
  const a2 = ((t2 - t) / (t2 - t1)) * p1 + ((t - t1) / (t2 - t1)) * p2;
  const a3 = ((t3 - t) / (t3 - t2)) * p2 + ((t - t2) / (t3 - t2)) * p3;
  const b1 = ((t2 - t) / t2) * a1 + (t / t2) * a2;
  const b2 = ((t3 - t) / (t3 - t1)) * a2 + ((t - t1) / (t3 - t1)) * a3;
  return ((t2 - t) / (t2 - t1)) * b1 + ((t - t1) / (t2 - t1)) * b2;
}

/** Resamples a closed polyline at (nearly) even arc-length spacing, starting at its first point. */
function resampleClosed(points: Array<[number, number]>, spacing: number): [Float64Array, Float64Array] {
  const n = points.length;
  const cumulative = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const a = points[i]!;
    const b = points[(i + 1) % n]!;
    cumulative[i + 1] = cumulative[i]! + Math.hypot(b[0] - a[0], b[1] - a[1]);
  }
  const total = cumulative[n]!;
  const count = Math.max(8, Math.round(total / spacing));
  const xs = new Float64Array(count);
  const ys = new Float64Array(count);
  let seg = 0;
  for (let k = 0; k < count; k++) {
    const s = (total * k) / count;
    while (cumulative[seg + 1]! < s) seg++;
    const a = points[seg]!;
    const b = points[(seg + 1) % n]!;
    const len = cumulative[seg + 1]! - cumulative[seg]!;
    const t = len > 0 ? (s - cumulative[seg]!) / len : 0;
    xs[k] = a[0] + (b[0] - a[0]) * t;
    ys[k] = a[1] + (b[1] - a[1]) * t;
  }
  return [xs, ys];
}

/** Curvature from heading change over a short window, which smooths the sampling's small wobble. */
function curvatureOf(headings: Float64Array, along: Float64Array, length: number): Float64Array {
  const n = headings.length;
  const half = 3;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = (i - half + n) % n;
    const b = (i + half) % n;
    let turn = headings[b]! - headings[a]!;
    turn = Math.atan2(Math.sin(turn), Math.cos(turn));
    let span = along[b]! - along[a]!;
    if (span <= 0) span += length;
    out[i] = turn / span;
  }
  return out;
}

/**
 * Uniform grid over the track's surroundings; each cell lists only the segments that can be the
 * nearest for some point inside it (those within the nearest distance from the cell centre plus
 * a cell diagonal), so a query tests a handful of segments instead of the whole loop.
 */
class SegmentGrid {
  private readonly originX: number;
  private readonly originY: number;
  private readonly columns: number;
  private readonly rows: number;
  private readonly starts: Int32Array;
  private readonly members: Int32Array;
  private readonly all: Int32Array;

  constructor(
    private readonly xs: Float64Array,
    private readonly ys: Float64Array,
    bounds: Track['bounds'],
  ) {
    const n = xs.length;
    this.originX = bounds.minX - GRID_MARGIN_M;
    this.originY = bounds.minY - GRID_MARGIN_M;
    this.columns = Math.ceil((bounds.maxX - bounds.minX + 2 * GRID_MARGIN_M) / GRID_CELL_M);
    this.rows = Math.ceil((bounds.maxY - bounds.minY + 2 * GRID_MARGIN_M) / GRID_CELL_M);
    const cells = this.columns * this.rows;
    const diagonal = GRID_CELL_M * Math.SQRT2;
    this.starts = new Int32Array(cells + 1);
    this.all = Int32Array.from({ length: n }, (_, i) => i);
    const lists: number[] = [];
    const distances = new Float64Array(n);
    for (let row = 0; row < this.rows; row++) {
      for (let col = 0; col < this.columns; col++) {
        const cell = row * this.columns + col;
        const cx = this.originX + (col + 0.5) * GRID_CELL_M;
        const cy = this.originY + (row + 0.5) * GRID_CELL_M;
        let best = Infinity;
        for (let i = 0; i < n; i++) {
          const d = Math.sqrt(segmentDistanceSq(xs, ys, i, cx, cy));
          distances[i] = d;
          if (d < best) best = d;
        }
        this.starts[cell] = lists.length;
        for (let i = 0; i < n; i++) if (distances[i]! <= best + diagonal) lists.push(i);
      }
    }
    this.starts[cells] = lists.length;
    this.members = Int32Array.from(lists);
  }

  private cellOf(x: number, y: number): number {
    const col = Math.floor((x - this.originX) / GRID_CELL_M);
    const row = Math.floor((y - this.originY) / GRID_CELL_M);
    if (col < 0 || row < 0 || col >= this.columns || row >= this.rows) return -1;
    return row * this.columns + col;
  }

  nearest(x: number, y: number): { segment: number; t: number; distanceSq: number } {
    const cell = this.cellOf(x, y);
    const list = cell < 0 ? this.all : this.members;
    const from = cell < 0 ? 0 : this.starts[cell]!;
    const to = cell < 0 ? this.all.length : this.starts[cell + 1]!;
    let bestSegment = 0;
    let bestDistanceSq = Infinity;
    for (let k = from; k < to; k++) {
      const i = list[k]!;
      const d = segmentDistanceSq(this.xs, this.ys, i, x, y);
      if (d < bestDistanceSq) {
        bestDistanceSq = d;
        bestSegment = i;
      }
    }
    return { segment: bestSegment, t: segmentParameter(this.xs, this.ys, bestSegment, x, y), distanceSq: bestDistanceSq };
  }
}

/** Where along segment i (0..1) the point nearest (x, y) lies. */
function segmentParameter(xs: Float64Array, ys: Float64Array, i: number, x: number, y: number): number {
  const j = i + 1 === xs.length ? 0 : i + 1;
  const dx = xs[j]! - xs[i]!;
  const dy = ys[j]! - ys[i]!;
  const lengthSq = dx * dx + dy * dy;
  const t = lengthSq > 0 ? ((x - xs[i]!) * dx + (y - ys[i]!) * dy) / lengthSq : 0;
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

function segmentDistanceSq(xs: Float64Array, ys: Float64Array, i: number, x: number, y: number): number {
  const j = i + 1 === xs.length ? 0 : i + 1;
  const t = segmentParameter(xs, ys, i, x, y);
  const ex = xs[i]! + (xs[j]! - xs[i]!) * t - x;
  const ey = ys[i]! + (ys[j]! - ys[i]!) * t - y;
  return ex * ex + ey * ey;
}
