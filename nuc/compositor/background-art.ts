/**
 * Built-in backgrounds, painted procedurally from a fixed seed so every install gets the same
 * pictures: packed RGB, wide enough to pan across.
 */
import { seededRandom } from '../../runtime/index.ts';
import type { RawImage } from './raw-image.ts';

export const BUILT_IN_BACKGROUNDS = ['mountains', 'neon-grid', 'stadium'] as const;
export type BuiltInBackground = (typeof BUILT_IN_BACKGROUNDS)[number];

type Rgb = readonly [number, number, number];

/** Smooth 1-D value noise in [0, 1] with `octaves` layers. */
function ridgeNoise(seed: number, octaves: number): (x: number) => number {
  const rand = seededRandom(seed);
  const lattice = Array.from({ length: 1024 }, () => rand());
  const at = (i: number): number => lattice[((i % 1024) + 1024) % 1024]!;
  const smooth = (x: number): number => {
    const i = Math.floor(x);
    const f = x - i;
    const s = f * f * (3 - 2 * f);
    return at(i) * (1 - s) + at(i + 1) * s;
  };
  return (x) => {
    let sum = 0;
    let norm = 0;
    for (let o = 0; o < octaves; o++) {
      const weight = 1 / 2 ** o;
      sum += smooth(x * 2 ** o + o * 17.3) * weight;
      norm += weight;
    }
    return sum / norm;
  };
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  const k = t < 0 ? 0 : t > 1 ? 1 : t;
  return [a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k, a[2] + (b[2] - a[2]) * k];
}

class Canvas {
  readonly data: Buffer;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = Buffer.alloc(width * height * 3);
  }
  set(x: number, y: number, c: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (Math.floor(y) * this.width + Math.floor(x)) * 3;
    this.data[o] = c[0];
    this.data[o + 1] = c[1];
    this.data[o + 2] = c[2];
  }
  get(x: number, y: number): Rgb {
    const o = (Math.floor(y) * this.width + Math.floor(x)) * 3;
    return [this.data[o]!, this.data[o + 1]!, this.data[o + 2]!];
  }
  /** Blends `c` over the pixel with opacity `alpha`. */
  blend(x: number, y: number, c: Rgb, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || alpha <= 0) return;
    this.set(x, y, mix(this.get(x, y), c, alpha));
  }
  fillRect(x0: number, y0: number, w: number, h: number, c: Rgb): void {
    for (let y = Math.max(0, y0); y < Math.min(this.height, y0 + h); y++) {
      for (let x = Math.max(0, x0); x < Math.min(this.width, x0 + w); x++) this.set(x, y, c);
    }
  }
  image(): RawImage {
    return { width: this.width, height: this.height, data: this.data };
  }
}

function paintMountains(width: number, height: number): RawImage {
  const canvas = new Canvas(width, height);
  const horizon = height * 0.62;
  const sun = { x: width * 0.62, y: height * 0.2, r: height * 0.055 };
  for (let y = 0; y < height; y++) {
    const sky = mix([28, 74, 156], [250, 196, 150], (y / horizon) ** 1.6);
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - sun.x, y - sun.y);
      const glow = Math.max(0, 1 - d / (sun.r * 6)) ** 2 * 0.6;
      canvas.set(x, y, d < sun.r ? [255, 244, 214] : mix(sky, [255, 226, 170], glow));
    }
  }
  // Far ranges are pale with haze; near ones dark and saturated.
  const layers = [
    { base: 0.52, amp: 0.3, freq: 3 / width, seed: 11, color: [150, 150, 190] as Rgb, snow: true },
    { base: 0.62, amp: 0.22, freq: 5 / width, seed: 23, color: [96, 98, 142] as Rgb, snow: false },
    { base: 0.72, amp: 0.16, freq: 8 / width, seed: 37, color: [58, 66, 96] as Rgb, snow: false },
    { base: 0.84, amp: 0.1, freq: 14 / width, seed: 51, color: [40, 52, 48] as Rgb, snow: false },
  ];
  for (const layer of layers) {
    const noise = ridgeNoise(layer.seed, 5);
    for (let x = 0; x < width; x++) {
      const top = height * (layer.base - layer.amp * noise(x * layer.freq * 4));
      for (let y = Math.max(0, Math.floor(top)); y < height; y++) {
        // Shade by height within the range, not by distance from each column's own ridge, which streaks.
        const depth = (y - height * (layer.base - layer.amp)) / (height * layer.amp * 2);
        let c = mix(layer.color, [layer.color[0] * 0.7, layer.color[1] * 0.7, layer.color[2] * 0.7], depth);
        if (layer.snow && y - top < height * 0.035 && top < height * 0.32) c = mix([240, 244, 250], c, (y - top) / (height * 0.035));
        const edge = y === Math.floor(top) ? 1 - (top - Math.floor(top)) : 1;
        canvas.blend(x, y, c, edge);
      }
    }
  }
  return canvas.image();
}

function paintNeonGrid(width: number, height: number): RawImage {
  const canvas = new Canvas(width, height);
  const rand = seededRandom(7);
  const horizon = Math.round(height * 0.6);
  for (let y = 0; y < horizon; y++) {
    const c = mix([8, 4, 28], [96, 22, 104], (y / horizon) ** 2);
    for (let x = 0; x < width; x++) canvas.set(x, y, c);
  }
  for (let i = 0; i < width / 6; i++) {
    canvas.set(Math.floor(rand() * width), Math.floor(rand() * horizon * 0.7), mix([120, 120, 160], [255, 255, 255], rand()));
  }
  // Striped suns, one per frame-width or so, so there is one in view wherever the pan is.
  const sunR = height * 0.22;
  for (let cx = width / 6; cx < width; cx += width / 3) {
    const cy = horizon - sunR * 0.35;
    for (let y = Math.floor(cy - sunR); y < horizon; y++) {
      const t = (y - (cy - sunR)) / (2 * sunR);
      const stripe = t > 0.5 && Math.floor((y - cy) / (sunR * 0.09)) % 2 === 1;
      if (stripe) continue;
      const c = mix([255, 230, 90], [255, 40, 150], t * 1.4);
      for (let x = Math.floor(cx - sunR); x <= cx + sunR; x++) {
        const d = Math.hypot(x - cx, y - cy);
        if (d < sunR) canvas.blend(x, y, c, Math.min(1, sunR - d));
      }
    }
  }
  // Skyline with lit windows.
  for (let x = 0; x < width; ) {
    const w = Math.floor(20 + rand() * 50);
    const h = Math.floor(height * (0.08 + rand() * 0.28));
    canvas.fillRect(x, horizon - h, w, h, [14, 8, 32]);
    const lit: Rgb = rand() < 0.5 ? [255, 210, 90] : [80, 230, 255];
    for (let wy = horizon - h + 5; wy < horizon - 4; wy += 8) {
      for (let wx = x + 4; wx < x + w - 4; wx += 7) if (rand() < 0.35) canvas.fillRect(wx, wy, 3, 4, lit);
    }
    x += w + Math.floor(rand() * 12);
  }
  // Perspective grid floor: lines of constant depth and lines converging on the vanishing point.
  const vx = width / 2;
  for (let y = horizon; y < height; y++) {
    const dy = y - horizon + 1;
    const depth = (height * 2) / dy;
    const rowGlow = Math.max(0, 1 - Math.abs(depth - Math.round(depth)) * 2 * dy * 0.08);
    for (let x = 0; x < width; x++) {
      const u = ((x - vx) / dy) * 2.5;
      const colGlow = Math.max(0, 1 - Math.abs(u - Math.round(u)) * (dy * 0.5));
      let c = mix([24, 6, 44], [60, 10, 70], dy / (height - horizon));
      // Lines crowd together near the horizon; fade them there instead of drawing moiré.
      const fade = Math.min(1, dy / (height * 0.1));
      c = mix(c, [255, 60, 200], Math.max(rowGlow, colGlow) * fade);
      canvas.set(x, y, c);
    }
  }
  return canvas.image();
}

function paintStadium(width: number, height: number): RawImage {
  const canvas = new Canvas(width, height);
  const rand = seededRandom(99);
  const standsTop = Math.round(height * 0.14);
  const barrierTop = Math.round(height * 0.62);
  const trackTop = Math.round(height * 0.74);
  for (let y = 0; y < standsTop; y++) {
    const c = mix([6, 10, 30], [24, 34, 70], y / standsTop);
    for (let x = 0; x < width; x++) canvas.set(x, y, c);
  }
  for (let lx = width / 10; lx < width; lx += width / 5) {
    const ly = standsTop * 0.45;
    for (let y = 0; y < standsTop * 2; y++) {
      for (let x = Math.floor(lx - 60); x < lx + 60; x++) {
        const d = Math.hypot(x - lx, y - ly);
        canvas.blend(x, y, [255, 252, 230], d < 8 ? 1 : Math.max(0, 1 - d / 60) ** 2 * 0.8);
      }
    }
  }
  const teams: Rgb[] = [[220, 30, 40], [250, 250, 250], [30, 70, 200], [250, 200, 20], [40, 40, 40]];
  const skins: Rgb[] = [[241, 194, 160], [200, 150, 110], [141, 94, 60], [90, 60, 40]];
  // Rows get taller toward the front, as seen from the track.
  for (let y = standsTop, row = 0; y < barrierTop; row++) {
    const rowH = Math.round(9 + (12 * (y - standsTop)) / (barrierTop - standsTop));
    canvas.fillRect(0, y, width, rowH, row % 2 ? [72, 74, 82] : [62, 64, 72]);
    const seatW = Math.round(rowH * 0.9);
    for (let x = (row % 2) * (seatW >> 1); x < width; x += seatW) {
      if (rand() < 0.1) continue;
      const shirt = teams[Math.floor(rand() * teams.length)]!;
      const skin = skins[Math.floor(rand() * skins.length)]!;
      const jitter = Math.floor(rand() * 3);
      canvas.fillRect(x + 1, y + Math.round(rowH * 0.5) - jitter, seatW - 2, rowH - Math.round(rowH * 0.5) + jitter, shirt);
      const hr = rowH * 0.22;
      const hx = x + seatW / 2;
      const hy = y + rowH * 0.32 - jitter;
      for (let py = Math.floor(hy - hr); py <= hy + hr; py++) {
        for (let px = Math.floor(hx - hr); px <= hx + hr; px++) {
          if (Math.hypot(px - hx, py - hy) <= hr) canvas.set(px, py, skin);
        }
      }
    }
    y += rowH;
  }
  // Advertising boards: bold colour blocks with chevrons.
  const boards: [Rgb, Rgb][] = [[[200, 20, 30], [255, 255, 255]], [[20, 40, 140], [255, 210, 0]], [[250, 250, 250], [20, 20, 20]], [[255, 120, 0], [30, 30, 30]]];
  const boardW = 160;
  for (let x = 0, i = 0; x < width; x += boardW, i++) {
    const [bg, fg] = boards[i % boards.length]!;
    canvas.fillRect(x, barrierTop, boardW - 2, trackTop - barrierTop, bg);
    const mid = (barrierTop + trackTop) / 2;
    for (let y = barrierTop + 6; y < trackTop - 6; y++) {
      for (let px = x + 20; px < x + boardW - 20; px++) {
        const v = (px - x + Math.abs(y - mid) * 1.2) % 36;
        if (v < 12) canvas.set(px, y, fg);
      }
    }
  }
  for (let y = trackTop; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const n = (rand() - 0.5) * 18;
      const shade = 70 + ((y - trackTop) / (height - trackTop)) * 20 + n;
      canvas.set(x, y, [shade, shade, shade + 4]);
    }
  }
  // Red-and-white kerb along the barrier.
  for (let x = 0; x < width; x++) {
    const c: Rgb = Math.floor(x / 40) % 2 ? [230, 230, 230] : [210, 30, 30];
    for (let y = trackTop; y < trackTop + Math.round(height * 0.03); y++) canvas.set(x, y, c);
  }
  return canvas.image();
}

/** Paints a built-in background at `width × height` (width should be a few frame widths to pan). */
export function paintBackground(name: BuiltInBackground, width: number, height: number): RawImage {
  switch (name) {
    case 'mountains':
      return paintMountains(width, height);
    case 'neon-grid':
      return paintNeonGrid(width, height);
    case 'stadium':
      return paintStadium(width, height);
  }
}
