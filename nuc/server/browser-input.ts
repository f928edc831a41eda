/**
 * Driving from the browser: what the driver's screen sends (already ramped keyboard or gamepad axes)
 * checked and mapped to the fields of a `car/<id>/control` message. Pure, so the mapping can be
 * swapped (e.g. for the race wheel's) without touching the socket code.
 */

export interface BrowserInputLimits {
  /** throttle is scaled into [-maxThrottle, maxThrottle]; a keyboard at full throttle is hard to hold on track */
  maxThrottle: number;
}

export const DEFAULT_BROWSER_INPUT_LIMITS: Readonly<BrowserInputLimits> = Object.freeze({ maxThrottle: 1 });

/** The control fields a browser input becomes (mode, recording and estop go through actions). */
export interface BrowserControl {
  angle: number;
  throttle: number;
  input: 'browser';
}

export type BrowserInputRejection = 'not-an-object' | 'angle' | 'throttle';

export type BrowserInputResult = { ok: true; control: BrowserControl } | { ok: false; reason: BrowserInputRejection; detail: string };

function unitValue(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= -1 && value <= 1 ? value : undefined;
}

/**
 * `raw` is `{angle, throttle}` in [-1, 1] as sent by the page. Anything else (NaN, out of range,
 * strings, missing fields) is rejected with the reason, never clamped into a plausible command.
 */
export function mapBrowserInput(raw: unknown, limits: Readonly<BrowserInputLimits> = DEFAULT_BROWSER_INPUT_LIMITS): BrowserInputResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: 'not-an-object', detail: 'input must be an object {angle, throttle}' };
  }
  const { angle, throttle } = raw as { angle?: unknown; throttle?: unknown };
  const a = unitValue(angle);
  if (a === undefined) return { ok: false, reason: 'angle', detail: `angle must be a number in [-1, 1], got ${String(angle)}` };
  const t = unitValue(throttle);
  if (t === undefined) return { ok: false, reason: 'throttle', detail: `throttle must be a number in [-1, 1], got ${String(throttle)}` };
  const scale = Math.min(1, Math.max(0, limits.maxThrottle));
  // `+ 0` turns -0 into 0 so the JSON on the bus reads naturally.
  return { ok: true, control: { angle: a + 0, throttle: t * scale + 0, input: 'browser' } };
}
