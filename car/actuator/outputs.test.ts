import { describe, expect, it } from 'vitest';
import { CalibrationError, DEFAULT_STEERING, DEFAULT_THROTTLE } from '../../runtime/index.ts';
import { EmulatedPca9685 } from '../sim/index.ts';
import { Pca9685 } from './pca9685.ts';
import { DriveOutputs } from './outputs.ts';

async function rig(): Promise<{ chip: EmulatedPca9685; outputs: DriveOutputs }> {
  const chip = new EmulatedPca9685();
  const driver = new Pca9685(chip);
  await driver.init(60);
  return { chip, outputs: new DriveOutputs(driver) };
}

/** µs the chip produces for a count at PRE_SCALE 101 */
const micros = (count: number): number => (count * 102) / 25;

describe('DriveOutputs', () => {
  it('start arms the ESC at neutral (throttle written first) and centres steering', async () => {
    const { chip, outputs } = await rig();
    chip.clearWriteLog();
    const armed = await outputs.start();
    expect(armed).toMatchObject({ throttleCount: 370, steeringCount: 375, wrote: { throttle: true, steering: true } });
    expect(chip.writeLog()[0]!.register).toBe(0x06); // channel 0, the ESC
    expect(chip.pulseMicros(0)).toBeCloseTo(micros(370), 6);
    expect(chip.pulseMicros(1)).toBeCloseTo(micros(375), 6);
    expect(outputs.state).toBe('armed');
  });

  it('apply maps angle and throttle onto the calibrated channels', async () => {
    const { chip, outputs } = await rig();
    await outputs.start();
    await outputs.apply(-1, 1);
    expect(chip.count(1)).toBe(460);
    expect(chip.count(0)).toBe(500);
    await outputs.apply(1, -1);
    expect(chip.count(1)).toBe(290);
    expect(chip.count(0)).toBe(220);
  });

  it('clamps to the calibrated range and treats NaN as neutral', async () => {
    const { chip, outputs } = await rig();
    await outputs.start();
    const applied = await outputs.apply(-4, 9);
    expect(applied).toMatchObject({ angle: -1, throttle: 1, steeringCount: 460, throttleCount: 500 });
    await outputs.apply(Number.NaN, Number.NaN);
    expect(chip.count(0)).toBe(370);
    expect(chip.count(1)).toBe(375);
  });

  it('writes only the channels whose count changed', async () => {
    const { chip, outputs } = await rig();
    await outputs.start();
    chip.clearWriteLog();
    expect((await outputs.apply(0, 0)).wrote).toEqual({ steering: false, throttle: false });
    expect(chip.writeLog()).toEqual([]);
    expect((await outputs.apply(0.5, 0)).wrote).toEqual({ steering: true, throttle: false });
    expect(chip.writeLog().map((w) => w.register)).toEqual([0x0a, 0x0b, 0x0c, 0x0d]);
    chip.clearWriteLog();
    expect((await outputs.apply(0.5, 0.3)).wrote).toEqual({ steering: false, throttle: true });
    expect(chip.writeLog().map((w) => w.register)).toEqual([0x06, 0x07, 0x08, 0x09]);
  });

  it('retries a channel whose write failed', async () => {
    const { chip, outputs } = await rig();
    await outputs.start();
    const realWrite = chip.writeI2cBlock.bind(chip);
    chip.writeI2cBlock = async () => {
      throw Object.assign(new Error('remote I/O error'), { code: 'EREMOTEIO' });
    };
    await expect(outputs.apply(0, 0.5)).rejects.toThrow('remote I/O error');
    chip.writeI2cBlock = realWrite;
    expect((await outputs.apply(0, 0.5)).wrote.throttle).toBe(true);
    expect(chip.count(0)).toBe(435);
  });

  it('stop brings throttle to neutral, then turns every output off, even behind a pending apply', async () => {
    const { chip, outputs } = await rig();
    await outputs.start();
    const pending = outputs.apply(0, 1);
    chip.clearWriteLog();
    await outputs.stop();
    await pending;
    const log = chip.writeLog();
    // apply (throttle to 500), then the neutral write, then ALL_LED_OFF_H
    expect(log.slice(-5)).toEqual([
      { register: 0x06, value: 0 },
      { register: 0x07, value: 0 },
      { register: 0x08, value: 370 & 0xff },
      { register: 0x09, value: 370 >> 8 },
      { register: 0xfd, value: 0x10 },
    ]);
    expect(chip.pulseMicros(0)).toBe(0);
    expect(chip.pulseMicros(1)).toBe(0);
    await expect(outputs.apply(0, 1)).rejects.toThrow(/stopped/);
    expect(chip.pulseMicros(0)).toBe(0);
  });

  it('refuses apply before start, so the ESC is always armed at neutral first', async () => {
    const { chip, outputs } = await rig();
    await expect(outputs.apply(0, 1)).rejects.toThrow(/not started/);
    expect(chip.pulseMicros(0)).toBe(0);
  });

  it('validates calibrations on construction, naming the field', () => {
    const driver = new Pca9685(new EmulatedPca9685());
    expect(() => new DriveOutputs(driver, DEFAULT_STEERING, { ...DEFAULT_THROTTLE, reverseCount: 9000 })).toThrow(
      /throttle\.reverseCount/,
    );
    expect(() => new DriveOutputs(driver, { ...DEFAULT_STEERING, channel: 0 }, DEFAULT_THROTTLE)).toThrow(CalibrationError);
    expect(() => new DriveOutputs(driver, { ...DEFAULT_STEERING, channel: 0 }, DEFAULT_THROTTLE)).toThrow(
      /throttle\.channel: must differ from steering\.channel/,
    );
  });
  it('calibrating writes raw counts, and a saved calibration replaces the running one', async () => {
    const { chip, outputs } = await rig();
    await outputs.start();
    const raw = await outputs.applyCounts(420, 395);
    expect(raw).toMatchObject({ steeringCount: 420, throttleCount: 395, wrote: { steering: true, throttle: true } });
    expect(raw.throttle).toBeCloseTo(25 / 130, 6);
    expect([chip.count(1), chip.count(0)]).toEqual([420, 395]);
    await expect(outputs.applyCounts(5000, 370)).rejects.toThrow(/steeringCount/);

    await outputs.recalibrate({ ...DEFAULT_STEERING, leftCount: 480, rightCount: 300 }, { ...DEFAULT_THROTTLE, stoppedCount: 380 });
    await outputs.apply(-1, 0);
    expect([chip.count(1), chip.count(0)]).toEqual([480, 380]);
    // an invalid one is refused and the running one stays
    await expect(outputs.recalibrate(DEFAULT_STEERING, { ...DEFAULT_THROTTLE, stoppedCount: 600 })).rejects.toBeInstanceOf(CalibrationError);
    expect(outputs.throttle.stoppedCount).toBe(380);
  });
});
