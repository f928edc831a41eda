import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { GenericCalibrationSchema } from '../../runtime/index.ts';
import { CalibrationError, GenericCalibrator, createGenericProfile } from './calibration.ts';

/**
 * A made-up gamepad-like wheel: report id 0x03, 9 bytes: [1..2] steering u16 LE (counting right to
 * left), [3] gas (0 released .. 255), [4] brake (255 released .. 0), [5] buttons, [6] a noisy counter,
 * [7..8] constant. Another report (id 0x05, 4 bytes) is interleaved.
 */
function report(steering: number, gas = 0, brake = 255, buttons = 0, counter = 0): Uint8Array {
  return Uint8Array.from([0x03, steering & 0xff, steering >> 8, gas, brake, buttons, counter & 0xff, 0x12, 0x34]);
}
const OTHER = Uint8Array.from([0x05, 1, 2, 3]);

function calibrate(): GenericCalibrator {
  const cal = new GenericCalibrator({ vendorId: 0x1234, productId: 0x5678 });
  for (let i = 0; i < 5; i++) cal.feed(report(30000, 0, 255, 0, i));
  cal.feed(OTHER);
  cal.next();
  for (let s = 30000; s <= 60000; s += 1000) cal.feed(report(s)); // left stop is the larger value
  cal.next();
  for (let s = 60000; s >= 1000; s -= 1000) cal.feed(report(s));
  cal.next();
  for (let g = 0; g <= 250; g += 25) cal.feed(report(30000, g));
  cal.feed(report(30000, 0));
  cal.next();
  for (let b = 255; b >= 5; b -= 25) cal.feed(report(30000, 0, b));
  cal.next();
  expect(cal.step).toBe('clutch');
  cal.skip();
  return cal;
}

describe('guided calibration of a generic device', () => {
  it('finds the steering, pedals, report id and buttons and saves a valid config value', () => {
    const result = calibrate().result();
    expect(result).toMatchObject({
      reportLength: 9,
      reportId: 0x03,
      steering: { offset: 1, size: 16, left: 60000, center: 30000, right: 1000 },
      throttle: { offset: 3, size: 8, released: 0, pressed: 250 },
      brake: { offset: 4, size: 8, released: 255, pressed: 5 },
    });
    expect(result.clutch).toBeUndefined();
    expect(Value.Check(GenericCalibrationSchema, JSON.parse(JSON.stringify(result)))).toBe(true);
  });

  it('parses reports with the calibration: centre, stops, pedals and buttons', () => {
    const profile = createGenericProfile(calibrate().result());
    const parse = (r: Uint8Array) => {
      const out = profile.parse(r);
      if (out.kind !== 'state') throw new Error(out.detail);
      return out.report;
    };
    expect(parse(report(30000)).steering.value).toBe(32768);
    expect(parse(report(1000)).steering.value).toBe(65535); // right stop
    expect(parse(report(60000)).steering.value).toBe(0); // left stop
    expect(parse(report(30000, 250)).throttle.value).toBe(65535);
    expect(parse(report(30000, 0, 130)).brake.value).toBe(Math.round(((130 - 255) / (5 - 255)) * 65535));
    const pressed = parse(report(30000, 0, 255, 0b0000_0100)).buttons;
    expect(pressed.size).toBe(1);
    // the counter's low bits moved while the user kept still: they are not buttons
    expect(parse(report(30000, 0, 255, 0, 3)).buttons.size).toBe(0);
    expect(profile.parse(OTHER)).toMatchObject({ kind: 'ignored', reason: 'non-state' });
    expect(profile.parse(Uint8Array.from([0x03, 1]))).toMatchObject({ kind: 'ignored', reason: 'short' });
  });

  it('says what is missing when the user did not move anything', () => {
    const cal = new GenericCalibrator({ vendorId: 1, productId: 2 });
    expect(() => cal.next()).toThrow(CalibrationError);
    cal.feed(report(30000));
    cal.next();
    cal.feed(report(30000));
    cal.next();
    cal.feed(report(30000));
    expect(() => cal.next()).toThrow(/no axis moved/);
    expect(cal.step).toBe('right');
    expect(() => cal.skip()).toThrow(/cannot be skipped/);
    expect(() => cal.result()).toThrow(/not finished/);
  });
});
