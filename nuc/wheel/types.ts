/**
 * The shapes shared by every wheel input: a parsed HID report at the device's own resolution, the
 * device-independent state the mapping works on, and the control it produces.
 */
import type { DriveMode } from '../../protocol/index.ts';

/** One axis at the device's native resolution: `value` in 0 .. 2^bits - 1. */
export interface AxisSample {
  readonly value: number;
  readonly bits: number;
}

/** A pedal axis; `inverted` pedals read their maximum when released (most wheels do). */
export interface PedalSample extends AxisSample {
  readonly inverted: boolean;
}

/** A state report decoded by a profile, before any scaling. */
export interface WheelReport {
  readonly steering: AxisSample;
  readonly throttle: PedalSample;
  readonly brake: PedalSample;
  readonly clutch?: PedalSample;
  /** names of the buttons held (see README: south/east/west/north, dpad_*, b<index>, ...) */
  readonly buttons: ReadonlySet<string>;
}

/** Why a report was not turned into a control. */
export type IgnoreReason = 'short' | 'non-state' | 'garbled';

export type ParseResult =
  | { readonly kind: 'state'; readonly report: WheelReport }
  | { readonly kind: 'ignored'; readonly reason: IgnoreReason; readonly detail: string };

/**
 * The device-independent state every input (HID wheel, browser, virtual) is converted to.
 * steering: centred, -1 full left .. +1 full right. Pedals: the talk's `real` travel, 0 released .. 1 full.
 */
export interface WheelState {
  readonly steering: number;
  readonly throttle: number;
  readonly brake: number;
  readonly clutch: number;
  readonly buttons: ReadonlySet<string>;
}

/** What the mapper hands out per report; the bridge publishes it as `car/<id>/control`. */
export interface WheelControl {
  readonly angle: number;
  readonly throttle: number;
  readonly mode: DriveMode;
  readonly recording: boolean;
  readonly estop: boolean;
  /** which input produced it: a profile id, 'browser', 'virtual', or 'none' (no wheel present) */
  readonly input: string;
  /** the reset button was pressed in this report: put the (simulated) car back on the track */
  readonly reset?: true;
  /** the erase button was pressed in this report: erase the last seconds of the car's recording */
  readonly erase?: true;
}

export const ignored = (reason: IgnoreReason, detail: string): ParseResult => ({ kind: 'ignored', reason, detail });
export const state = (report: WheelReport): ParseResult => ({ kind: 'state', report });
