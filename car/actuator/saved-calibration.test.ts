import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CalibrationError, DEFAULT_STEERING, DEFAULT_THROTTLE } from '../../runtime/index.ts';
import { loadSavedCalibration, saveCalibration, savedCalibrationFile } from './saved-calibration.ts';

const configured = { steering: { ...DEFAULT_STEERING, channel: 3 }, throttle: { ...DEFAULT_THROTTLE, channel: 2 } };
const counts = { steering: { leftCount: 480, rightCount: 300 }, throttle: { forwardCount: 450, stoppedCount: 375, reverseCount: 260 } };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'calib-'));
  dirs.push(dir);
  return dir;
}

describe('the saved calibration', () => {
  it('is absent until saved, then loads on the configured channels', async () => {
    const file = savedCalibrationFile(dataDir(), '7');
    expect(await loadSavedCalibration(file, configured)).toBeUndefined();
    const saved = await saveCalibration(file, configured, counts);
    expect(saved).toEqual({ steering: { channel: 3, ...counts.steering }, throttle: { channel: 2, ...counts.throttle } });
    expect(await loadSavedCalibration(file, configured)).toEqual(saved);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ ...counts, savedAt: expect.any(String) });
  });

  it('refuses to save counts that cannot drive the car, naming the field, and keeps the file as it was', async () => {
    const file = savedCalibrationFile(dataDir(), '7');
    await saveCalibration(file, configured, counts);
    const bad = { ...counts, throttle: { forwardCount: 450, stoppedCount: 500, reverseCount: 260 } };
    await expect(saveCalibration(file, configured, bad)).rejects.toThrow(/throttle.stoppedCount: neutral 500 must lie strictly between/);
    expect((await loadSavedCalibration(file, configured))!.throttle.stoppedCount).toBe(375);
  });

  it('a damaged file is an error naming what is wrong (the actuator then uses the configured counts)', async () => {
    const file = savedCalibrationFile(dataDir(), '7');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ steering: { leftCount: 480 }, throttle: counts.throttle }));
    await expect(loadSavedCalibration(file, configured)).rejects.toBeInstanceOf(CalibrationError);
    await expect(loadSavedCalibration(file, configured)).rejects.toThrow(/steering.rightCount/);
  });
});
