/**
 * Runs the pilot on every camera frame as it arrives, not on a timer: a frame waits in the one-slot
 * mailbox while the one before it is inferred, so only a frame that a newer one replaced there
 * (inference slower than the camera) goes without a decision, and those are counted.
 */
import type { Mailbox } from '../../protocol/index.ts';

export interface FrameRunnerOptions<F> {
  frames: Mailbox<F>;
  /** whether the pilot decides now (the autonomous modes); frames are still taken otherwise */
  active: () => boolean;
  /** every frame taken, before any inference (e.g. to note its sequence number) */
  onFrame?: (frame: F) => void;
  run: (frame: F) => Promise<void>;
  /** a failing run is reported here; the runner goes on with the next frame */
  onError?: (error: unknown) => void;
}

export class FrameRunner<F> {
  /** frames the pilot ran on */
  inferred = 0;
  private controller: AbortController | undefined;
  private runner: Promise<void> | undefined;

  constructor(private readonly options: FrameRunnerOptions<F>) {}

  /** frames a newer frame replaced before the pilot was free to take them */
  get skipped(): number {
    return this.options.frames.superseded;
  }

  start(): void {
    if (this.controller) throw new Error('FrameRunner already running');
    this.controller = new AbortController();
    this.runner = this.loop(this.controller.signal);
  }

  /** Stops after the run in flight (if any) finishes. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.runner;
    this.controller = undefined;
    this.runner = undefined;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const { frames, active, onFrame, run, onError } = this.options;
    while (!signal.aborted) {
      const frame = await frames.next(signal);
      if (frame === undefined) return;
      onFrame?.(frame);
      if (!active()) continue;
      try {
        await run(frame);
        this.inferred++;
      } catch (error) {
        try {
          onError?.(error);
        } catch {
          // a failing error reporter must not stop the pilot
        }
      }
    }
  }
}
