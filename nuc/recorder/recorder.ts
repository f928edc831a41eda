/**
 * Routes the NUC bus's car messages to one RecordingSession per car, and sums their counters.
 * Frames and controls are paired by when the NUC received them, not by the senders' clocks: a
 * control stamped in the future (a wrong clock, or a forged one) cannot break a car's recording.
 */
import type { BusMessage } from '../../protocol/index.ts';
import { RecordingSession, type RecordingCounters, type RecordingReport, type RecordingSessionOptions, type RecordingStatus } from './session.ts';

export interface RecorderTotals extends RecordingCounters {
  /** cars recording right now */
  recording: number;
  /** cars whose recording stopped on an error (until switched off and on) */
  failed: number;
}

export class Recorder {
  private readonly sessions = new Map<string, RecordingSession>();
  private readonly lastHeard = new Map<string, number>();

  /** `cars`: record only these; every car seen when absent. */
  constructor(
    private readonly options: Omit<RecordingSessionOptions, 'carId'>,
    private readonly cars?: ReadonlySet<string>,
  ) {}

  handle(message: BusMessage, receivedAt = Date.now()): void {
    if (message.topic.scope !== 'car') return;
    const carId = message.topic.id;
    if (this.cars && !this.cars.has(carId)) return;
    if (message.kind === 'frame') {
      const { seq, width, height } = message.header;
      this.heard(carId, receivedAt).onFrame({ seq, ts: receivedAt, width, height, jpeg: message.payload });
    } else if (message.kind === 'control') {
      const { angle, throttle, mode, recording } = message.header;
      this.heard(carId, receivedAt).onControl({ ts: receivedAt, angle, throttle, ...(mode ? { mode } : {}), ...(recording === undefined ? {} : { recording }) });
    } else if (message.kind === 'telemetry') {
      this.heard(carId, receivedAt).onTelemetry(message.header);
    } else if (message.kind === 'erase') {
      // only a car with a recording session has anything to erase: an erase never creates one
      const session = this.sessions.get(carId);
      if (session) void session.erase(message.header.seconds);
      else this.erasesWithoutSession++;
    }
  }

  /** erases asked for a car that has recorded nothing since the recorder started */
  erasesWithoutSession = 0;

  private heard(carId: string, at: number): RecordingSession {
    this.lastHeard.set(carId, at);
    return this.session(carId);
  }

  /** Closes and forgets the sessions of cars silent for longer than `maxSilentMs` (their tubs stay readable); returns those cars. */
  async forgetSilent(now: number, maxSilentMs: number): Promise<string[]> {
    const silent = [...this.lastHeard].filter(([, at]) => now - at > maxSilentMs).map(([carId]) => carId);
    for (const carId of silent) {
      const session = this.sessions.get(carId);
      this.sessions.delete(carId);
      this.lastHeard.delete(carId);
      await session?.close();
    }
    return silent;
  }

  session(carId: string): RecordingSession {
    let session = this.sessions.get(carId);
    if (!session) {
      session = new RecordingSession({ ...this.options, carId });
      this.sessions.set(carId, session);
    }
    return session;
  }

  statuses(): Record<string, RecordingStatus> {
    return Object.fromEntries([...this.sessions].map(([carId, session]) => [carId, session.state]));
  }

  reports(): RecordingReport[] {
    return [...this.sessions.values()].map((session) => session.report());
  }

  totals(): RecorderTotals {
    const totals: RecorderTotals = { recording: 0, failed: 0, records: 0, tubs: 0, errors: 0, framesWithoutControl: 0, framesDropped: 0, framesBad: 0, framesWithoutThrottle: 0, recordsErased: 0, erasesFailed: 0 };
    for (const session of this.sessions.values()) {
      if (session.state.state === 'recording') totals.recording++;
      if (session.state.state === 'failed') totals.failed++;
      for (const key of Object.keys(session.counters) as Array<keyof RecordingCounters>) totals[key] += session.counters[key];
    }
    return totals;
  }

  settled(): Promise<void> {
    return Promise.all([...this.sessions.values()].map((session) => session.settled())).then(() => undefined);
  }

  /** Closes every open tub. */
  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => session.close()));
  }
}
