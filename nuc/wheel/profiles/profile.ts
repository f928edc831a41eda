/** What a wheel profile knows about one family of devices. */
import type { ParseResult } from '../types.ts';

/** Settings applied once when a wheel is opened. */
export interface WheelInit {
  /** total lock-to-lock rotation in degrees */
  readonly rangeDegrees: number;
  /** spring back to centre, 0 (off) .. 1 (strongest) */
  readonly autocenter: number;
}

/** An output report in node-hid's write format: byte 0 is the report id, 0x00 for unnumbered reports. */
export type OutputReport = readonly number[];

export interface WheelProfile {
  /** short stable id, also the `input` field of the controls it produces */
  readonly id: string;
  readonly name: string;
  readonly vendorId: number;
  readonly productIds: readonly number[];
  /** decodes one input report; never throws, whatever the bytes */
  parse(data: Uint8Array): ParseResult;
  /** output reports setting range and autocenter; empty when the wheel has no documented command */
  initReports(init: WheelInit): OutputReport[];
}

export const noInit = (): OutputReport[] => [];

/** Pads a report to its declared length (HID output reports have a fixed size). */
export function padded(bytes: readonly number[], length: number): OutputReport {
  const out = new Array<number>(length).fill(0);
  bytes.forEach((b, i) => (out[i] = b & 0xff));
  return out;
}
