/**
 * Wheels in PlayStation 4 mode speak a DualShock 4 style input report (report id 0x01, 64 bytes) with
 * the wheel and pedals in a vendor block: Logitech G29 in PS4 mode (046d:c260) and Thrustmaster T300RS
 * in PS4 mode (044f:b66d).
 *
 * Layout (offsets include the report id byte), from the report descriptor dumped in J2Kbr/TitanTwo
 * issue #146 (G29, in ../../../test/fixtures/wheel-reports.json) and the fixed descriptor
 * `t300rs_rdesc_ps4_fixed` of Kimplul/hid-tmff2:
 *   [1..4] DS4 sticks (unused by wheels), [5] low nibble hat, high nibble buttons 1-4,
 *   [6] buttons 5-12, [7] bits 0-1 buttons 13-14 (rest: a counter), [8..9] Rx/Ry,
 *   [43..44] steering u16 LE, [45..46] gas, [47..48] brake, [49..50] clutch (u16 LE, 0xffff released).
 */
import { isValidHat, readButtons, readHat, u16le } from '../bytes.ts';
import { ignored, state, type ParseResult } from '../types.ts';

export const DS4_REPORT_ID = 0x01;
const MIN_LENGTH = 51;

/** DS4 button order: square, cross, circle, triangle, L1, R1, L2, R2, share, options, L3, R3, PS, touchpad. */
const DS4_BUTTONS = ['west', 'south', 'east', 'north', 'l1', 'r1', 'l2', 'r2', 'select', 'start', 'l3', 'r3', 'home', 'touchpad'];

export function parseDs4WheelReport(data: Uint8Array): ParseResult {
  if (data.length < 1) return ignored('short', 'empty report');
  if (data[0] !== DS4_REPORT_ID) return ignored('non-state', `report id 0x${(data[0] ?? 0).toString(16)}`);
  if (data.length < MIN_LENGTH) return ignored('short', `${data.length} bytes, need ${MIN_LENGTH}`);
  const hat = (data[5] ?? 0) & 0x0f;
  if (!isValidHat(hat)) return ignored('garbled', `hat value ${hat}`);
  const buttons = new Set<string>();
  readHat(hat, buttons);
  readButtons(data, 5 * 8 + 4, DS4_BUTTONS.length, DS4_BUTTONS, buttons);
  return state({
    steering: { value: u16le(data, 43), bits: 16 },
    throttle: { value: u16le(data, 45), bits: 16, inverted: true },
    brake: { value: u16le(data, 47), bits: 16, inverted: true },
    clutch: { value: u16le(data, 49), bits: 16, inverted: true },
    buttons,
  });
}
