/**
 * The driver's recent controls, so a frame can be paired with the control in effect when it was
 * taken: the newest control at or before the frame, if it is fresh enough. The times are when the
 * NUC received each (the recorder passes them), so the car's and the senders' clocks never matter.
 */

export interface TimedControl {
  /** when the NUC received the control (ms since the epoch) */
  ts: number;
  angle: number;
  throttle: number;
}

export class ControlHistory {
  private readonly entries: TimedControl[] = [];

  /** `keepMs`: how far back to remember; older controls can never be fresh for a newer frame. */
  constructor(private readonly keepMs = 2000) {}

  add(control: TimedControl): void {
    // Controls arrive in order almost always; keep the list sorted when one does not.
    let at = this.entries.length;
    while (at > 0 && this.entries[at - 1]!.ts > control.ts) at--;
    this.entries.splice(at, 0, control);
    const newest = this.entries[this.entries.length - 1]!.ts;
    let stale = 0;
    // Always keep at least one, so a long pause still has its last control to compare against.
    while (stale < this.entries.length - 1 && this.entries[stale]!.ts < newest - this.keepMs) stale++;
    if (stale > 0) this.entries.splice(0, stale);
  }

  /** The newest control at or before `ts`, if it is at most `maxAgeMs` older than `ts`. */
  at(ts: number, maxAgeMs: number): TimedControl | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const control = this.entries[i]!;
      if (control.ts <= ts) return ts - control.ts <= maxAgeMs ? control : undefined;
    }
    return undefined;
  }
}
