import { describe, expect, it } from 'vitest';
import { loadTrack } from '../world/index.ts';
import { driveDemonstrations, DEFAULT_SWERVE, type DemonstrationFrame } from './demonstrations.ts';

function drive(swerve: typeof DEFAULT_SWERVE | false, seed = 1): { frames: DemonstrationFrame[]; laps: number } {
  const frames: DemonstrationFrame[] = [];
  const result = driveDemonstrations({ track: loadTrack('default'), seconds: 30, swerve, seed, onFrame: (f) => frames.push(f) });
  expect(result.frames).toBe(frames.length);
  return { frames, laps: result.laps };
}

const meanAbsCte = (frames: DemonstrationFrame[]) => frames.reduce((s, f) => s + Math.abs(f.telemetry.cte), 0) / frames.length;

describe('driveDemonstrations', () => {
  it('drives clean laps with the expert label applied as is', () => {
    const clean = drive(false);
    // 30 s at 20 Hz, give or take the float sum of the steps.
    expect(Math.abs(clean.frames.length - 600)).toBeLessThanOrEqual(1);
    expect(clean.laps).toBeGreaterThanOrEqual(2);
    expect(clean.frames.every((f) => f.applied.angle === f.label.angle)).toBe(true);
  });

  it('swerves off the line and labels each frame with the expert correction, repeatably', () => {
    const clean = drive(false);
    const noisy = drive(DEFAULT_SWERVE);
    const swerved = noisy.frames.filter((f) => f.applied.angle !== f.label.angle);
    expect(swerved.length).toBeGreaterThan(20);
    // The car spends time off the racing line, so the data show the road from there.
    expect(meanAbsCte(noisy.frames)).toBeGreaterThan(meanAbsCte(clean.frames) * 1.5);
    // ...and the expert still gets it round.
    expect(noisy.laps).toBeGreaterThanOrEqual(2);
    expect(drive(DEFAULT_SWERVE).frames.map((f) => f.applied.angle)).toEqual(noisy.frames.map((f) => f.applied.angle));
  });

  it('rejects nonsense options with the name of the option', () => {
    const base = { track: loadTrack('default'), onFrame: () => {} };
    expect(() => driveDemonstrations({ ...base, seconds: 0 })).toThrow(/seconds must be positive/);
    expect(() => driveDemonstrations({ ...base, seconds: 1, swerve: { ...DEFAULT_SWERVE, probability: 2 } })).toThrow(/swerve probability/);
    expect(() => driveDemonstrations({ ...base, seconds: 1, swerve: { ...DEFAULT_SWERVE, durationS: [0.5, 0.1] } })).toThrow(/swerve duration/);
  });
});
