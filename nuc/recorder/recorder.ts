/** Routes the NUC bus's car messages to one RecordingSession per car, and sums their counters. */
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

  /** `cars`: record only these; every car seen when absent. */
  constructor(
    private readonly options: Omit<RecordingSessionOptions, 'carId'>,
    private readonly cars?: ReadonlySet<string>,
  ) {}

  handle(message: BusMessage): void {
    if (message.topic.scope !== 'car') return;
    const carId = message.topic.id;
    if (this.cars && !this.cars.has(carId)) return;
    if (message.kind === 'frame') {
      const { seq, ts, width, height } = message.header;
      this.session(carId).onFrame({ seq, ts, width, height, jpeg: message.payload });
    } else if (message.kind === 'control') {
      this.session(carId).onControl(message.header);
    } else if (message.kind === 'telemetry') {
      this.session(carId).onTelemetry(message.header);
    }
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
    const totals: RecorderTotals = { recording: 0, failed: 0, records: 0, tubs: 0, errors: 0, framesWithoutControl: 0, framesDropped: 0, framesBad: 0 };
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
