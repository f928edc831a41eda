/** What the wheel input counted; the wheel service publishes it as metrics (wheel_reports_parsed, wheel_reports_ignored, ...). */
import type { IgnoreReason } from './types.ts';

export type WheelIgnoreReason = IgnoreReason | 'invalid';

export class WheelCounters {
  parsed = 0;
  ignored = 0;
  readonly ignoredBy: Record<WheelIgnoreReason, number> = { short: 0, 'non-state': 0, garbled: 0, invalid: 0 };
  controls = 0;
  disconnects = 0;

  ignore(reason: WheelIgnoreReason): void {
    this.ignored++;
    this.ignoredBy[reason]++;
  }

  snapshot(): { parsed: number; ignored: number; ignoredBy: Record<WheelIgnoreReason, number>; controls: number; disconnects: number } {
    return {
      parsed: this.parsed,
      ignored: this.ignored,
      ignoredBy: { ...this.ignoredBy },
      controls: this.controls,
      disconnects: this.disconnects,
    };
  }
}
