/**
 * Input from the driver's screen (a browser gamepad or the keyboard, sent through socket.io):
 * `{steering: -1..1, throttle: 0..1, brake: 0..1, clutch?: 0..1, buttons?: string[]}`.
 * Anything else (NaN, out of range, wrong types, unknown fields) is ignored and counted, never forwarded.
 */
import { WheelCounters } from './counters.ts';
import type { ControlMapper } from './mapper.ts';
import { STEERING_GAIN } from './mapping.ts';
import type { WheelControl, WheelState } from './types.ts';

export interface BrowserInput {
  steering: number;
  throttle: number;
  brake: number;
  clutch?: number;
  buttons?: string[];
}

export type BrowserCheck = { ok: true; state: WheelState } | { ok: false; error: string };

const FIELDS = new Set(['steering', 'throttle', 'brake', 'clutch', 'buttons']);
const BUTTON_NAME = /^[a-z0-9_]{1,32}$/;
const MAX_BUTTONS = 32;

function checkNumber(value: unknown, name: string, low: number, high: number): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${name} must be a finite number, got ${describe(value)}`;
  if (value < low || value > high) return `${name} must be within ${low}..${high}, got ${value}`;
  return undefined;
}

const describe = (value: unknown): string =>
  typeof value === 'number' ? String(value) : value === null ? 'null' : typeof value;

/** Validates a browser message and converts it to the wheel state (steering as a centred wheel position, pedals as travel). */
export function checkBrowserInput(raw: unknown): BrowserCheck {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, error: `input must be an object, got ${describe(raw)}` };
  const input = raw as Record<string, unknown>;
  const unknown = Object.keys(input).find((k) => !FIELDS.has(k));
  if (unknown !== undefined) return { ok: false, error: `unknown field "${unknown.slice(0, 40)}"` };
  const error =
    checkNumber(input.steering, 'steering', -1, 1) ??
    checkNumber(input.throttle, 'throttle', 0, 1) ??
    checkNumber(input.brake, 'brake', 0, 1) ??
    (input.clutch === undefined ? undefined : checkNumber(input.clutch, 'clutch', 0, 1));
  if (error) return { ok: false, error };
  const buttons = input.buttons ?? [];
  if (!Array.isArray(buttons) || buttons.length > MAX_BUTTONS) return { ok: false, error: `buttons must be an array of at most ${MAX_BUTTONS} names` };
  const badButton = buttons.find((b) => typeof b !== 'string' || !BUTTON_NAME.test(b));
  if (badButton !== undefined) return { ok: false, error: `bad button name ${JSON.stringify(badButton)?.slice(0, 40)}` };
  return {
    ok: true,
    state: {
      steering: (input.steering as number) / STEERING_GAIN,
      throttle: input.throttle as number,
      brake: input.brake as number,
      clutch: (input.clutch as number | undefined) ?? 0,
      buttons: new Set(buttons as string[]),
    },
  };
}

/**
 * The browser as an input: `submit` maps a valid message through the same pipeline as a wheel.
 * A stick or key has no 900° of travel, so browser steering -1..1 is taken as the wheel position that
 * gives full lock at steeringScale 1 (divided by the talk's gain of 8); trim, scale and range still apply.
 */
export class BrowserWheel {
  lastError: string | undefined;

  constructor(
    private readonly mapper: ControlMapper,
    readonly counters = new WheelCounters(),
  ) {}

  /** The mapped control, or undefined when the message was invalid (counted, reason in lastError). */
  submit(raw: unknown): WheelControl | undefined {
    const checked = checkBrowserInput(raw);
    if (!checked.ok) {
      this.counters.ignore('invalid');
      this.lastError = checked.error;
      return undefined;
    }
    this.counters.parsed++;
    const control = this.mapper.map(checked.state, 'browser');
    this.counters.controls++;
    return control;
  }
}
