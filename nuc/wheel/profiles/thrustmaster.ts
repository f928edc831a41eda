/**
 * Thrustmaster wheels.
 *
 * T150 (044f:b677) and T300RS in PS3 mode (b66e) send report id 0x07, 15 bytes (offsets include the id):
 *   [1..2] steering u16 LE (0x8000 centre), [3..4] brake, [5..6] gas, [7..8] clutch (10 bit, 0..0x3ff),
 *   [9..10] constant, 13 buttons from bit 88 (byte 11), [14] low nibble hat (0x0f = centred).
 * Sources: the T300RS fixed descriptor `t300rs_rdesc_nrm_fixed` in Kimplul/hid-tmff2, the button bits of
 * scarburato/t150_driver t150/input.h, and the real T150 captures in test/fixtures/wheel-reports.json,
 * whose pedals read 0x3ff at rest: treated as inverted (released = max). Set mapping.pedalPolarity to
 * 'normal' if your pedals read backwards.
 * Other report ids (e.g. 0x14, replies to setup commands) are not state reports and are skipped.
 *
 * T300RS in PS4 mode (b66d) speaks the DS4-style report, see ds4-wheel.ts.
 * Range and autocenter for the T300RS: output report 0x60 (63 bytes in PS3 mode, 31 in PS4 mode) with
 * `08 11 <range × 0x3c, u16 LE>` and `08 04 01 00` + `08 03 <strength u16 LE>`, from hid-tmff2's
 * t300rs_set_range / t300rs_set_autocenter. The T150 takes its settings over a vendor interrupt
 * endpoint the hidraw node does not expose; it keeps the range set on the wheel (or by the t150 driver).
 */
import { isValidHat, readButtons, readHat, u16le } from '../bytes.ts';
import { ignored, state, type ParseResult } from '../types.ts';
import { parseDs4WheelReport } from './ds4-wheel.ts';
import { noInit, padded, type OutputReport, type WheelInit, type WheelProfile } from './profile.ts';

export const THRUSTMASTER_VENDOR_ID = 0x044f;
export const THRUSTMASTER_PIDS = {
  /** every Thrustmaster FFB wheel before the kernel's hid-thrustmaster switches it to its model id */
  setup: 0xb65d,
  t150: 0xb677,
  t300rsPs3: 0xb66e,
  t300rsPs4: 0xb66d,
} as const;

export const TM_STATE_REPORT_ID = 0x07;
const TM_STATE_LENGTH = 15;
/** t150/input.h: byte 11 = paddles, △ □ ○ ×, share, options; byte 12 = R1 L1 R2 L2 PS. */
const TM_BUTTONS = [
  'r1', 'l1', 'north', 'west', 'east', 'south', 'select', 'start',
  'r3', 'l3', 'r2', 'l2', 'home',
];

export function parseThrustmasterReport(data: Uint8Array): ParseResult {
  if (data.length < 1) return ignored('short', 'empty report');
  if (data[0] !== TM_STATE_REPORT_ID) return ignored('non-state', `report id 0x${(data[0] ?? 0).toString(16)}`);
  if (data.length < TM_STATE_LENGTH) return ignored('short', `${data.length} bytes, need ${TM_STATE_LENGTH}`);
  const hat = (data[14] ?? 0) & 0x0f;
  if (!isValidHat(hat)) return ignored('garbled', `hat value ${hat}`);
  const brake = u16le(data, 3);
  const gas = u16le(data, 5);
  const clutch = u16le(data, 7);
  // 10-bit pedals: anything above 0x3ff cannot come from the wheel
  if (brake > 0x3ff || gas > 0x3ff || clutch > 0x3ff) return ignored('garbled', 'pedal value above 10 bits');
  const buttons = new Set<string>();
  readHat(hat, buttons);
  readButtons(data, 11 * 8, TM_BUTTONS.length, TM_BUTTONS, buttons);
  return state({
    steering: { value: u16le(data, 1), bits: 16 },
    throttle: { value: gas, bits: 10, inverted: true },
    brake: { value: brake, bits: 10, inverted: true },
    clutch: { value: clutch, bits: 10, inverted: true },
    buttons,
  });
}

const T300_OUTPUT_REPORT_ID = 0x60;

function t300InitReports(init: WheelInit, payloadLength: number): OutputReport[] {
  const range = Math.round(Math.min(1080, Math.max(40, init.rangeDegrees))) * 0x3c;
  const strength = Math.round(Math.min(1, Math.max(0, init.autocenter)) * 0xffff);
  const report = (bytes: number[]) => padded([T300_OUTPUT_REPORT_ID, ...bytes], payloadLength + 1);
  return [
    report([0x08, 0x11, range & 0xff, range >> 8]),
    report([0x08, 0x04, 0x01, 0x00]),
    report([0x08, 0x03, strength & 0xff, strength >> 8]),
  ];
}

export const T150: WheelProfile = {
  id: 't150',
  name: 'Thrustmaster T150',
  vendorId: THRUSTMASTER_VENDOR_ID,
  productIds: [THRUSTMASTER_PIDS.t150],
  parse: parseThrustmasterReport,
  initReports: noInit,
};

export const T300RS: WheelProfile = {
  id: 't300rs',
  name: 'Thrustmaster T300RS (PS3 mode)',
  vendorId: THRUSTMASTER_VENDOR_ID,
  productIds: [THRUSTMASTER_PIDS.t300rsPs3],
  parse: parseThrustmasterReport,
  initReports: (init) => t300InitReports(init, 63),
};

export const T300RS_PS4: WheelProfile = {
  id: 't300rs-ps4',
  name: 'Thrustmaster T300RS (PS4 mode)',
  vendorId: THRUSTMASTER_VENDOR_ID,
  productIds: [THRUSTMASTER_PIDS.t300rsPs4],
  parse: parseDs4WheelReport,
  initReports: (init) => t300InitReports(init, 31),
};
