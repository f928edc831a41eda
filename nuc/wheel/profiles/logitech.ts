/**
 * Logitech wheels.
 *
 * Native-mode input layouts (unnumbered reports, offsets from 0) follow SDL's hidapi lg4ff driver
 * (libsdl-org/SDL src/joystick/hidapi/SDL_hidapi_lg4ff.c, HandleState/UpdateDevice):
 *   G29  c24f: 12 bytes. [0] low nibble hat, buttons from bit 4 (25), [4..5] steering u16 LE,
 *              [6] gas, [7] brake, [8] clutch (8 bit, 255 released).
 *   G27  c29b: 11 bytes. hat + 22 buttons as above, steering 14 bit = [4] << 6 | [3] >> 2,
 *              [5] gas, [6] brake, [7] clutch.
 *   DFGT c29a:  8 bytes. hat + 21 buttons as above, steering 14 bit = [4] | ([5] & 0x3f) << 8,
 *              [6] gas, [7] brake.
 * G920 c262 (after its switch out of Xbox mode c261, see README): report id 0x01, 11 bytes: [1] low nibble
 *   hat, 23 buttons from bit 12, [5..6] steering u16 LE, [7] gas, [8] brake, [9] clutch. From the G923
 *   interface-0 descriptor in mescon/logitech-trueforce-linux-driver issue #72, which the fixture file
 *   notes is believed to match the G920.
 * Range and autocenter commands are the 7-byte output reports of the Linux hid-lg4ff driver
 * (`f8 81` set range; `f5` autocenter off, `fe 0d` strength, `14` on), as SDL's driver sends them too.
 */
import { isValidHat, readButtons, readHat, u16le } from '../bytes.ts';
import { ignored, state, type ParseResult, type PedalSample } from '../types.ts';
import { parseDs4WheelReport } from './ds4-wheel.ts';
import { noInit, type OutputReport, type WheelInit, type WheelProfile } from './profile.ts';

export const LOGITECH_VENDOR_ID = 0x046d;
export const LOGITECH_PIDS = {
  dfex: 0xc294,
  dfp: 0xc298,
  g25: 0xc299,
  dfgt: 0xc29a,
  g27: 0xc29b,
  g29: 0xc24f,
  g29ps4: 0xc260,
  g920xbox: 0xc261,
  g920: 0xc262,
} as const;

/** PlayStation-style button names in the native order of the G29 (and the first 12 of the DFGT). */
const PS_WHEEL_BUTTONS = ['south', 'west', 'east', 'north', 'r1', 'l1', 'r2', 'l2', 'select', 'start', 'r3', 'l3'];
const G29_BUTTONS = [
  ...PS_WHEEL_BUTTONS,
  'gear_1', 'gear_2', 'gear_3', 'gear_4', 'gear_5', 'gear_6', 'gear_r',
  'plus', 'minus', 'dial_cw', 'dial_ccw', 'enter', 'home',
];
/** The G27 is a PC wheel: its buttons have no console names, only b0..b21. */
const G27_BUTTONS: string[] = [];
/** Xbox order: A, B, X, Y, right paddle (RB), left paddle (LB), menu, view, RSB, LSB, Xbox. */
const G920_BUTTONS = ['south', 'east', 'west', 'north', 'r1', 'l1', 'start', 'select', 'r3', 'l3', 'home'];

const pedal8 = (value: number | undefined): PedalSample => ({ value: value ?? 255, bits: 8, inverted: true });

interface NativeLayout {
  length: number;
  buttonCount: number;
  buttonNames: readonly string[];
  steering: (data: Uint8Array) => { value: number; bits: number };
  pedals: (data: Uint8Array) => { throttle: PedalSample; brake: PedalSample; clutch?: PedalSample };
}

/** Native Logitech reports carry no report id, so only length and the hat value can reveal garbage. */
function parseNative(layout: NativeLayout, data: Uint8Array): ParseResult {
  if (data.length < layout.length) return ignored('short', `${data.length} bytes, need ${layout.length}`);
  const hat = (data[0] ?? 0) & 0x0f;
  if (!isValidHat(hat)) return ignored('garbled', `hat value ${hat}`);
  const buttons = new Set<string>();
  readHat(hat, buttons);
  readButtons(data, 4, layout.buttonCount, layout.buttonNames, buttons);
  return state({ steering: layout.steering(data), ...layout.pedals(data), buttons });
}

const G29_LAYOUT: NativeLayout = {
  length: 12,
  buttonCount: 25,
  buttonNames: G29_BUTTONS,
  steering: (d) => ({ value: u16le(d, 4), bits: 16 }),
  pedals: (d) => ({ throttle: pedal8(d[6]), brake: pedal8(d[7]), clutch: pedal8(d[8]) }),
};

const G27_LAYOUT: NativeLayout = {
  length: 11,
  buttonCount: 22,
  buttonNames: G27_BUTTONS,
  steering: (d) => ({ value: ((d[4] ?? 0) << 6) | ((d[3] ?? 0) >> 2), bits: 14 }),
  pedals: (d) => ({ throttle: pedal8(d[5]), brake: pedal8(d[6]), clutch: pedal8(d[7]) }),
};

const DFGT_LAYOUT: NativeLayout = {
  length: 8,
  buttonCount: 21,
  buttonNames: PS_WHEEL_BUTTONS,
  steering: (d) => ({ value: (d[4] ?? 0) | (((d[5] ?? 0) & 0x3f) << 8), bits: 14 }),
  pedals: (d) => ({ throttle: pedal8(d[6]), brake: pedal8(d[7]) }),
};

const G920_REPORT_ID = 0x01;
const G920_LENGTH = 10;

export function parseG920Report(data: Uint8Array): ParseResult {
  if (data.length < 1) return ignored('short', 'empty report');
  if (data[0] !== G920_REPORT_ID) return ignored('non-state', `report id 0x${(data[0] ?? 0).toString(16)}`);
  if (data.length < G920_LENGTH) return ignored('short', `${data.length} bytes, need ${G920_LENGTH}`);
  const hat = (data[1] ?? 0) & 0x0f;
  if (!isValidHat(hat)) return ignored('garbled', `hat value ${hat}`);
  const buttons = new Set<string>();
  readHat(hat, buttons);
  readButtons(data, 12, 23, G920_BUTTONS, buttons);
  return state({
    steering: { value: u16le(data, 5), bits: 16 },
    throttle: pedal8(data[7]),
    brake: pedal8(data[8]),
    clutch: pedal8(data[9]),
    buttons,
  });
}

/** hid-lg4ff's autocenter strength bytes for a gain 0..65535 (two slopes, meeting at 0xaaaa). */
function autocenterStrength(gain: number): [number, number] {
  const knee = 0xaaaa;
  const a = gain <= knee ? 0x0c * gain : 0x0c * knee + 0x06 * (gain - knee);
  const b = gain <= knee ? 0x80 * gain : 0x80 * knee + 0xff * (gain - knee);
  return [Math.floor((a >> 1) / knee), Math.floor(b / knee)];
}

/** Range and autocenter for G25/G27/DFGT/G29 in native mode (unnumbered 7-byte reports, so id 0x00 first). */
export function lg4ffInitReports(init: WheelInit): OutputReport[] {
  const range = Math.round(Math.min(900, Math.max(40, init.rangeDegrees)));
  const gain = Math.round(Math.min(1, Math.max(0, init.autocenter)) * 0xffff);
  const reports: OutputReport[] = [
    [0x00, 0xf8, 0x81, range & 0xff, range >> 8, 0x00, 0x00, 0x00],
    [0x00, 0xf5, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
  ];
  if (gain > 0) {
    const [a, b] = autocenterStrength(gain);
    reports.push([0x00, 0xfe, 0x0d, a, a, b, 0x00, 0x00], [0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
  }
  return reports;
}

export const G29: WheelProfile = {
  id: 'g29',
  name: 'Logitech G29 (PS3 / native mode)',
  vendorId: LOGITECH_VENDOR_ID,
  productIds: [LOGITECH_PIDS.g29],
  parse: (data) => parseNative(G29_LAYOUT, data),
  initReports: lg4ffInitReports,
};

export const G29_PS4: WheelProfile = {
  id: 'g29-ps4',
  name: 'Logitech G29 (PS4 mode)',
  vendorId: LOGITECH_VENDOR_ID,
  productIds: [LOGITECH_PIDS.g29ps4],
  parse: parseDs4WheelReport,
  // no documented range command in PS4 mode: the wheel keeps its own setting
  initReports: noInit,
};

export const G27: WheelProfile = {
  id: 'g27',
  name: 'Logitech G27',
  vendorId: LOGITECH_VENDOR_ID,
  productIds: [LOGITECH_PIDS.g27],
  parse: (data) => parseNative(G27_LAYOUT, data),
  initReports: lg4ffInitReports,
};

export const DRIVING_FORCE_GT: WheelProfile = {
  id: 'dfgt',
  name: 'Logitech Driving Force GT',
  vendorId: LOGITECH_VENDOR_ID,
  productIds: [LOGITECH_PIDS.dfgt],
  parse: (data) => parseNative(DFGT_LAYOUT, data),
  initReports: lg4ffInitReports,
};

export const G920: WheelProfile = {
  id: 'g920',
  name: 'Logitech G920',
  vendorId: LOGITECH_VENDOR_ID,
  productIds: [LOGITECH_PIDS.g920],
  parse: parseG920Report,
  // range/autocenter go through HID++ features on the G920 (hid-logitech-hidpp), not sent here
  initReports: noInit,
};
