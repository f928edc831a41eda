/** A browser gamepad (Gamepad API, "standard" mapping) as driving input: left stick steers, triggers drive. */
import type { DriveInput } from './keyboard.ts';

export interface GamepadLike {
  axes: readonly number[];
  buttons: readonly { value: number }[];
}

function deadzone(value: number | undefined, zone: number): number {
  if (value === undefined || !Number.isFinite(value) || Math.abs(value) < zone) return 0;
  const scaled = (Math.abs(value) - zone) / (1 - zone);
  return Math.sign(value) * Math.min(1, scaled);
}

/** Left stick x → angle; right trigger (button 7) forward, left trigger (button 6) reverse. Undefined when at rest. */
export function gamepadInput(pad: GamepadLike, zone = 0.08): DriveInput | undefined {
  const angle = deadzone(pad.axes[0], zone);
  const forward = deadzone(pad.buttons[7]?.value, zone);
  const reverse = deadzone(pad.buttons[6]?.value, zone);
  const throttle = forward - reverse;
  if (angle === 0 && throttle === 0) return undefined;
  return { angle, throttle };
}
