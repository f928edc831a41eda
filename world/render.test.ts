import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CENTRE_YELLOW, EDGE_WHITE, ROAD_GREY } from './ground-map.ts';
import { CHROMA_GREEN, createRenderer, encodeJpeg, RenderError } from './render.ts';
import { loadTrack } from './track-file.ts';

const track = loadTrack('default');

function pixel(rgb: Buffer, width: number, x: number, y: number): [number, number, number] {
  const i = (y * width + x) * 3;
  return [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
}

const isRoad = (p: number[]) => Math.abs(p[0]! - ROAD_GREY[0]) <= 8 && Math.abs(p[2]! - ROAD_GREY[2]) <= 8 && p[0] === p[1];
const isColour = (p: number[], c: readonly number[]) => p[0] === c[0] && p[1] === c[1] && p[2] === c[2];

describe('camera renderer', () => {
  const small = createRenderer({ track, width: 160, height: 120, seed: 7 });

  it('paints everything above the horizon exactly chroma green, and nothing below it', () => {
    for (const size of [small, createRenderer({ track, width: 640, height: 480, seed: 7 })]) {
      const frame = size.render(track.pointAt(3));
      expect(size.horizonRow).toBeGreaterThan(size.height / 5);
      expect(size.horizonRow).toBeLessThan(size.height / 2);
      for (let y = 0; y < size.height; y++) {
        for (let x = 0; x < size.width; x++) {
          const green = isColour(pixel(frame, size.width, x, y), CHROMA_GREEN);
          if (green !== y < size.horizonRow) throw new Error(`pixel ${x},${y} green=${green}, horizon at ${size.horizonRow}`);
        }
      }
    }
  });

  it('shows the road ahead on a straight, between a white edge on each side', () => {
    const frame = small.render(track.startPose);
    const bottom = small.height - 1;
    expect(isRoad(pixel(frame, 160, 80 - 20, bottom))).toBe(true);
    // The bottom row is all road (or centre line); farther up, white edges frame it on both sides.
    const bottomRow = Array.from({ length: 160 }, (_, x) => pixel(frame, 160, x, bottom));
    expect(bottomRow.every((p) => isRoad(p) || isColour(p, CENTRE_YELLOW))).toBe(true);
    let framed = 0;
    for (let y = small.horizonRow; y < small.height; y++) {
      const row = Array.from({ length: 160 }, (_, x) => pixel(frame, 160, x, y));
      const whiteLeft = row.slice(0, 80).some((p) => isColour(p, EDGE_WHITE));
      const whiteRight = row.slice(80).some((p) => isColour(p, EDGE_WHITE));
      if (whiteLeft && whiteRight && row.filter(isRoad).length > 20) framed++;
    }
    expect(framed).toBeGreaterThan(10);
    // The dashed centre line shows somewhere below the horizon.
    let yellow = 0;
    for (let y = small.horizonRow; y < small.height; y++) for (let x = 0; x < 160; x++) if (isColour(pixel(frame, 160, x, y), CENTRE_YELLOW)) yellow++;
    expect(yellow).toBeGreaterThan(0);
  });

  it('shows only off-track ground when facing away from the track', () => {
    const start = track.startPose;
    // 0.8 m right of the start line, looking outwards (right of +x is −y).
    const frame = small.render({ x: start.x, y: start.y - 0.8, heading: -Math.PI / 2 });
    let road = 0;
    for (let y = small.horizonRow; y < small.height; y++) for (let x = 0; x < 160; x++) if (isRoad(pixel(frame, 160, x, y))) road++;
    expect(road).toBe(0);
    const ground = pixel(frame, 160, 80, small.height - 1);
    expect(ground[0]).toBeGreaterThan(ground[1]);
  });

  it('is deterministic for a seed and varies the ground with the seed', () => {
    const pose = { x: 1, y: -0.7, heading: 0.4 };
    const a = Buffer.from(createRenderer({ track, width: 160, height: 120, seed: 3 }).render(pose));
    const b = Buffer.from(createRenderer({ track, width: 160, height: 120, seed: 3 }).render(pose));
    const c = Buffer.from(createRenderer({ track, width: 160, height: 120, seed: 4 }).render(pose));
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('moves the view with the pose', () => {
    const a = Buffer.from(small.render(track.pointAt(1)));
    const b = Buffer.from(small.render(track.pointAt(1.3)));
    expect(a.equals(b)).toBe(false);
  });

  it('rejects impossible sizes and cameras with a clear error', () => {
    expect(() => createRenderer({ track, width: 0, height: 120 })).toThrow(RenderError);
    expect(() => createRenderer({ track, width: 160.5, height: 120 })).toThrow(/width must be an integer/);
    expect(() => createRenderer({ track, width: 160, height: 120, camera: { fovDeg: 190 } })).toThrow(/fovDeg/);
  });

  it('encodes a frame as a JPEG of the same size', async () => {
    const jpeg = await encodeJpeg(small.render(track.startPose), 160, 120, 85);
    const meta = await sharp(jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([160, 120]);
    await expect(encodeJpeg(Buffer.alloc(10), 160, 120)).rejects.toThrow(/not a 160x120 RGB frame/);
  });
});
