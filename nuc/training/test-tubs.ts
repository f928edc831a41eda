/** Shared by this folder's tests: small real tubs of synthetic frames a model can learn from. */
import sharp from 'sharp';
import { TubWriter } from '../../trainer/tub/index.ts';

/** Frames whose brightness encodes the steering angle, 160x120 as the recorder stores them. */
export async function writeTestTub(dir: string, records: number, options: { mode?: string } = {}): Promise<void> {
  const writer = await TubWriter.create(dir, { metadata: { car: 'test' } });
  for (let i = 0; i < records; i++) {
    const level = (i % 5) / 4;
    const v = Math.round(level * 255);
    const jpeg = await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: v, g: v, b: 255 - v } } })
      .jpeg()
      .toBuffer();
    await writer.write({ jpeg, angle: level * 2 - 1, throttle: 0.3, mode: options.mode ?? 'user', timestampMs: 1_700_000_000_000 + i * 50 });
  }
  await writer.close();
}
