/**
 * The background pans with steering, as in the talk: each frame the visible window moves by
 * angle × scale pixels, and when it would leave the background it jumps back to the centre.
 */

/** Left edge of a window of `viewWidth` centred on a background of `backgroundWidth`. */
export function centredPan(backgroundWidth: number, viewWidth: number): number {
  return Math.max(0, (backgroundWidth - viewWidth) / 2);
}

/** Steering angle as the pan uses it: finite and within [-1, 1] (anything else counts as straight). */
export function normaliseAngle(angle: number): number {
  if (!Number.isFinite(angle)) return 0;
  return angle < -1 ? -1 : angle > 1 ? 1 : angle;
}

/** The next left edge after one frame at `angle`; re-centres instead of leaving the background. */
export function stepPan(x: number, angle: number, scale: number, backgroundWidth: number, viewWidth: number): number {
  const next = x + normaliseAngle(angle) * scale;
  const maxX = backgroundWidth - viewWidth;
  if (next < 0 || next > maxX) return centredPan(backgroundWidth, viewWidth);
  return next;
}

/** Pan state for one background; `offset` is the whole-pixel column the visible window starts at. */
export class BackgroundPan {
  private x: number;

  constructor(
    private backgroundWidth: number,
    private readonly viewWidth: number,
    /** pixels moved per frame at full lock */
    public scale: number,
  ) {
    if (backgroundWidth < viewWidth) {
      throw new RangeError(`background width ${backgroundWidth} is narrower than the view (${viewWidth})`);
    }
    this.x = centredPan(backgroundWidth, viewWidth);
  }

  get offset(): number {
    return Math.round(this.x);
  }

  step(angle: number): number {
    this.x = stepPan(this.x, angle, this.scale, this.backgroundWidth, this.viewWidth);
    return this.offset;
  }

  /** A new background: start again from its centre. */
  reset(backgroundWidth: number): void {
    if (backgroundWidth < this.viewWidth) {
      throw new RangeError(`background width ${backgroundWidth} is narrower than the view (${this.viewWidth})`);
    }
    this.backgroundWidth = backgroundWidth;
    this.x = centredPan(backgroundWidth, this.viewWidth);
  }
}
