/**
 * Raw reports per profile. The synthetic ones are built from the public layouts named in each profile's
 * header comment; the T150 and T300RS ones are the real captures in test/fixtures/wheel-reports.json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../bytes.ts';
import type { ParseResult, WheelReport } from '../types.ts';
import { findProfile, identifyLogitechWheel, modeSwitchFor, WHEEL_PROFILES } from './index.ts';
import { lg4ffInitReports } from './logitech.ts';

interface Fixture {
  devices: { vid: string; pid: string; reports: { hex: string; meaning: string }[] }[];
}
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/wheel-reports.json', import.meta.url), 'utf8')) as Fixture;

const profile = (vid: number, pid: number) => {
  const p = findProfile(vid, pid);
  if (!p) throw new Error(`no profile for ${vid.toString(16)}:${pid.toString(16)}`);
  return p;
};
const stateOf = (result: ParseResult): WheelReport => {
  if (result.kind !== 'state') throw new Error(`expected a state report, got ${result.reason}: ${result.detail}`);
  return result.report;
};

describe('Thrustmaster T150 (real captures)', () => {
  const device = fixture.devices.find((d) => d.pid === '0xb677');
  const t150 = profile(0x044f, 0xb677);
  const reports = device?.reports ?? [];

  it('reads steering at 16 bits and the pedals at 10 bits from every state report', () => {
    const steering = reports.filter((r) => r.hex.startsWith('07')).map((r) => stateOf(t150.parse(hexToBytes(r.hex))).steering.value);
    expect(steering).toEqual([0x8000, 0x7e73, 0x85d6, 0x60f7]);
    const idle = stateOf(t150.parse(hexToBytes(reports[0]?.hex ?? '')));
    expect(idle.throttle).toEqual({ value: 0x3ff, bits: 10, inverted: true });
    expect(idle.brake.value).toBe(0x3ff);
    expect(idle.clutch?.value).toBe(0x3ff);
    expect([...idle.buttons]).toEqual([]);
  });

  it('skips the non-state 0x14 replies', () => {
    const others = reports.filter((r) => !r.hex.startsWith('07'));
    expect(others).toHaveLength(2);
    for (const r of others) expect(t150.parse(hexToBytes(r.hex))).toMatchObject({ kind: 'ignored', reason: 'non-state' });
  });

  it('reads buttons and the hat from the documented bits', () => {
    const bytes = hexToBytes('070080ff03ff03ff0300000000000f');
    bytes[11] = 0b0010_0100; // north (bit 2) + south (bit 5)
    bytes[12] = 0b0001_0000; // PS
    bytes[14] = 0x02; // hat right
    const report = stateOf(t150.parse(bytes));
    expect([...report.buttons].sort()).toEqual(['b12', 'b2', 'b5', 'dpad_right', 'home', 'north', 'south'].sort());
  });

  it('ignores short and garbled reports', () => {
    expect(t150.parse(hexToBytes('070080ff03'))).toMatchObject({ kind: 'ignored', reason: 'short' });
    expect(t150.parse(hexToBytes('070080ff03ff03ff0300000000000a'))).toMatchObject({ kind: 'ignored', reason: 'garbled' });
    expect(t150.parse(hexToBytes('070080ffffff03ff0300000000000f'))).toMatchObject({ kind: 'ignored', reason: 'garbled' });
    expect(t150.parse(new Uint8Array())).toMatchObject({ kind: 'ignored', reason: 'short' });
  });
});

describe('Thrustmaster T300RS PS4 mode (real vendor block)', () => {
  it('reads the captured idle state once the 10 uncaptured leading bytes are filled in', () => {
    const device = fixture.devices.find((d) => d.pid === '0xb66d');
    const vendorBlock = hexToBytes(device?.reports[0]?.hex ?? '');
    // report id 0x01, 4 centred sticks, hat centred (8), no buttons, Rx/Ry: the DS4 layout's first 10 bytes
    const report = new Uint8Array([0x01, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00, 0x00, 0x00, 0x00, ...vendorBlock]);
    expect(report).toHaveLength(64);
    const state = stateOf(profile(0x044f, 0xb66d).parse(report));
    expect(state.steering).toEqual({ value: 0x7de2, bits: 16 });
    expect(state.throttle).toEqual({ value: 0xffff, bits: 16, inverted: true });
    expect(state.brake.value).toBe(0xffff);
    expect(state.buttons.size).toBe(0);
  });
});

describe('Logitech native reports (SDL hidapi lg4ff layouts)', () => {
  it('G29 c24f: 16-bit steering at [4..5], 8-bit pedals at [6..8], buttons from bit 4', () => {
    // hat up (0) + cross (bit 4) + square (bit 5); steering 0x1234; gas half, brake released, clutch full
    const report = stateOf(profile(0x046d, 0xc24f).parse(Uint8Array.from([0x30, 0, 0, 0, 0x34, 0x12, 0x80, 0xff, 0x00, 0, 0, 0])));
    expect(report.steering).toEqual({ value: 0x1234, bits: 16 });
    expect([report.throttle.value, report.brake.value, report.clutch?.value]).toEqual([0x80, 0xff, 0x00]);
    expect([...report.buttons].sort()).toEqual(['b0', 'b1', 'dpad_up', 'south', 'west']);
  });

  it('G29: the PS button is the 25th bit', () => {
    const bytes = Uint8Array.from([0x08, 0, 0, 0x10, 0, 0x80, 0xff, 0xff, 0xff, 0, 0, 0]);
    expect([...stateOf(profile(0x046d, 0xc24f).parse(bytes)).buttons].sort()).toEqual(['b24', 'home']);
  });

  it('G27 c29b: 14-bit steering = [4] << 6 | [3] >> 2', () => {
    const bytes = Uint8Array.from([0x08, 0, 0, 0b1010_1100, 0x80, 0x10, 0x20, 0x30, 0, 0, 0]);
    const report = stateOf(profile(0x046d, 0xc29b).parse(bytes));
    expect(report.steering).toEqual({ value: (0x80 << 6) | 0b101011, bits: 14 });
    expect([report.throttle.value, report.brake.value, report.clutch?.value]).toEqual([0x10, 0x20, 0x30]);
  });

  it('DFGT c29a: 14-bit steering = [4] | ([5] & 0x3f) << 8, two pedals', () => {
    const bytes = Uint8Array.from([0x08, 0, 0, 0, 0x00, 0xe0 | 0x20, 0x40, 0xff]);
    const report = stateOf(profile(0x046d, 0xc29a).parse(bytes));
    expect(report.steering).toEqual({ value: 0x2000, bits: 14 });
    expect(report.throttle.value).toBe(0x40);
    expect(report.clutch).toBeUndefined();
  });

  it('G920 c262: report 0x01, hat in [1], steering u16 at [5..6], pedals [7..9]', () => {
    const bytes = Uint8Array.from([0x01, 0x15, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0xff, 0xff, 0x00]);
    const report = stateOf(profile(0x046d, 0xc262).parse(bytes));
    expect(report.steering.value).toBe(0xffff);
    expect(report.throttle.value).toBe(0);
    expect([...report.buttons].sort()).toEqual(['b0', 'dpad_down', 'dpad_left', 'south']);
    expect(profile(0x046d, 0xc262).parse(Uint8Array.from([0x11, 0xff, 0x0f]))).toMatchObject({ reason: 'non-state' });
  });

  it('G29 PS4 mode c260 uses the DS4-style layout of the G29 descriptor', () => {
    const bytes = new Uint8Array(64);
    bytes[0] = 0x01;
    bytes[5] = 0x08 | 0x20; // hat centred, cross
    bytes[43] = 0x00;
    bytes[44] = 0x80;
    bytes.fill(0xff, 45, 51);
    const report = stateOf(profile(0x046d, 0xc260).parse(bytes));
    expect(report.steering.value).toBe(0x8000);
    expect([...report.buttons].sort()).toEqual(['b1', 'south']);
  });

  it('rejects short and garbled native reports', () => {
    expect(profile(0x046d, 0xc24f).parse(Uint8Array.from([0x08, 0, 0]))).toMatchObject({ reason: 'short' });
    expect(profile(0x046d, 0xc24f).parse(Uint8Array.from([0x0c, 0, 0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0, 0, 0]))).toMatchObject({ reason: 'garbled' });
  });
});

describe('every profile survives arbitrary bytes', () => {
  it('never throws and never yields out-of-range axes', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const p of WHEEL_PROFILES) {
      for (let i = 0; i < 500; i++) {
        const bytes = Uint8Array.from({ length: Math.floor(random() * 70) }, () => Math.floor(random() * 256));
        const result = p.parse(bytes);
        if (result.kind !== 'state') continue;
        const { steering, throttle } = result.report;
        expect(steering.value).toBeLessThan(2 ** steering.bits);
        expect(throttle.value).toBeLessThan(2 ** throttle.bits);
      }
    }
  });
});

describe('compatibility mode and start-up settings', () => {
  it('identifies a G29 by bcdDevice and switches it from c294 with the hid-lg4ff reports', () => {
    expect(identifyLogitechWheel(0x1350)).toBe(0xc24f);
    const modeSwitch = modeSwitchFor(0x046d, 0xc294, 0x1352);
    expect(modeSwitch?.targetProductId).toBe(0xc24f);
    expect(modeSwitch?.reports).toEqual([
      [0x00, 0xf8, 0x0a, 0, 0, 0, 0, 0],
      [0x00, 0xf8, 0x09, 0x05, 0x01, 0x01, 0, 0],
    ]);
  });
  it('switches a G27 in DFEX mode to c29b, and leaves native wheels alone', () => {
    expect(modeSwitchFor(0x046d, 0xc294, 0x1230)?.targetProductId).toBe(0xc29b);
    expect(modeSwitchFor(0x046d, 0xc24f, 0x1350)).toBeUndefined();
    expect(modeSwitchFor(0x046d, 0xc29b, 0x1234)).toBeUndefined();
    expect(modeSwitchFor(0x044f, 0xb677, 0x1350)).toBeUndefined();
  });
  it('sets range and autocenter on lg4ff wheels', () => {
    const reports = lg4ffInitReports({ rangeDegrees: 900, autocenter: 1 });
    expect(reports[0]).toEqual([0x00, 0xf8, 0x81, 0x84, 0x03, 0, 0, 0]);
    expect(reports[1]?.[1]).toBe(0xf5);
    expect(reports[2]).toEqual([0x00, 0xfe, 0x0d, 7, 7, 255, 0, 0]);
    expect(lg4ffInitReports({ rangeDegrees: 200, autocenter: 0 })).toHaveLength(2);
  });
  it('sets range on the T300RS with output report 0x60', () => {
    const [range] = profile(0x044f, 0xb66e).initReports({ rangeDegrees: 900, autocenter: 0 });
    const scaled = 900 * 0x3c;
    expect(range?.slice(0, 5)).toEqual([0x60, 0x08, 0x11, scaled & 0xff, scaled >> 8]);
    expect(range).toHaveLength(64);
  });
});
