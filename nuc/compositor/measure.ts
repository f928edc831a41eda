/**
 * Manual timing of the compositor (not a test): `npx tsx nuc/compositor/measure.ts [frames]`.
 * Composites simulator-like 640x480 frames over a built-in background and prints median timings.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { BackgroundLibrary } from './backgrounds.ts';
import { createCompositor } from './compositor.ts';
import { buildKeyTable, DEFAULT_CHROMA_KEY } from './keying.ts';

const WIDTH = 640;
const HEIGHT = 480;
const frames = Number(process.argv[2] ?? 200);

/** Chroma green above the horizon (with a little sensor noise), a textured track below. */
async function simulatorFrame(seed: number): Promise<Buffer> {
  const data = Buffer.alloc(WIDTH * HEIGHT * 3);
  let s = seed;
  const noise = (): number => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24) % 9 - 4;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const o = (y * WIDTH + x) * 3;
      if (y < HEIGHT * 0.45) {
        data[o] = 0;
        data[o + 1] = 177 + noise();
        data[o + 2] = 64 + noise();
      } else {
        const lane = Math.abs(x - WIDTH / 2 - (y - HEIGHT) * 0.3) < 6 ? 120 : 0;
        const v = 90 + lane + noise() * 3;
        data[o] = v;
        data[o + 1] = v;
        data[o + 2] = v + 5;
      }
    }
  }
  return sharp(data, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const dir = await mkdtemp(path.join(tmpdir(), 'compositor-measure-'));
try {
  const library = new BackgroundLibrary({ dir, frameWidth: WIDTH, frameHeight: HEIGHT });
  const compositor = createCompositor({ width: WIDTH, height: HEIGHT, background: await library.load('mountains') });
  const inputs = await Promise.all([1, 2, 3, 4].map(simulatorFrame));
  const tableStart = performance.now();
  buildKeyTable(DEFAULT_CHROMA_KEY);
  const tableMs = performance.now() - tableStart;

  for (let i = 0; i < 20; i++) await compositor.composite(inputs[i % inputs.length]!, 0);
  const t = { decodeMs: [] as number[], keyMs: [] as number[], encodeMs: [] as number[], totalMs: [] as number[] };
  let bytes = 0;
  for (let i = 0; i < frames; i++) {
    const result = await compositor.composite(inputs[i % inputs.length]!, Math.sin(i / 20));
    for (const k of Object.keys(t) as (keyof typeof t)[]) t[k].push(result.timings[k]);
    bytes += result.jpeg.length;
  }
  console.log(`frames: ${frames} of ${WIDTH}x${HEIGHT}, input ${inputs[0]!.length} B, output ~${Math.round(bytes / frames)} B`);
  for (const k of Object.keys(t) as (keyof typeof t)[]) console.log(`median ${k}: ${median(t[k]).toFixed(2)} ms`);
  console.log(`key table rebuild: ${tableMs.toFixed(1)} ms`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
