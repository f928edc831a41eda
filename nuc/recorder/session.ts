/**
 * One car's recording: while recording is on, each camera frame is paired with the driver's control
 * in effect when it was taken and the car's mode, and written to this session's tub. A write error
 * (a full disk, a read-only folder) stops the session with the error kept visible, and closes the tub
 * so it stays readable; recording starts again only when it is switched off and on.
 *
 * Donkeycar's recording helpers: with `onThrottle` a frame is recorded only while the driver's
 * throttle is applied (no tub full of the car standing still), and `erase(seconds)` takes back the
 * last seconds recorded, as Donkeycar's erase button does: their indexes go into the tub's
 * `deleted_indexes` (through the open writer while recording, through the tub editor's delete range
 * once the tub is closed), so Donkeycar's tools and training skip them; the records stay on disk.
 */
import { MAX_ERASE_SECONDS } from '../../protocol/index.ts';
import { changeDeletions, TubWriter, type TubInput, type TubWriteRecord } from '../../tub/index.ts';
import { ControlHistory } from './control-history.ts';
import { RecentRecords, type RecordRange } from './recent-records.ts';
import { tubImage, type FrameImage } from './downscale.ts';
import { freshTubDir } from './tub-name.ts';
import { stat } from 'node:fs/promises';
import path from 'node:path';

/** Where records go: a TubWriter in service, a fake in tests. */
export interface TubSink {
  readonly dir: string;
  write(record: TubWriteRecord): Promise<number>;
  /** marks records deleted in the open tub's manifest (Donkeycar's deleted_indexes) */
  markDeleted(indexes: Iterable<number>): Promise<void>;
  close(): Promise<void>;
}

export interface RecorderLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Fields beyond Donkeycar's four, so a record can be traced back to the bus. */
export const EXTRA_INPUTS: readonly TubInput[] = [
  { key: 'car/frame_seq', type: 'int' },
  { key: 'user/control_ts_ms', type: 'int' },
];

export interface RecordingSessionOptions {
  carId: string;
  /** `<dataDir>/tubs` */
  tubsDir: string;
  openTub?: (dir: string, carId: string) => Promise<TubSink>;
  exists?: (dir: string) => Promise<boolean>;
  prepareImage?: (frame: FrameImage) => Promise<Uint8Array>;
  /** a control older than this (relative to the frame) is not "in effect": the frame is not recorded */
  controlMaxAgeMs?: number;
  /** frames waiting to be written before newer ones are dropped (and counted) */
  maxPending?: number;
  /** record a frame only while the driver's throttle is applied (nuc.recorder.onThrottle) */
  onThrottle?: boolean;
  /** marks a range of a closed tub deleted; the tub editor's changeDeletions by default */
  deleteRange?: (dir: string, range: RecordRange) => Promise<unknown>;
  now?: () => Date;
  log?: RecorderLog;
}

export interface FrameIn extends FrameImage {
  seq: number;
  /** when the camera took it (ms since the epoch) */
  ts: number;
}

export interface ControlIn {
  ts: number;
  angle: number;
  throttle: number;
  mode?: string;
  recording?: boolean;
}

export interface TelemetryIn {
  mode: string;
  recording?: boolean;
}

export type RecordingStatus =
  | { state: 'idle'; lastTub?: string; lastError?: string }
  /** `tub` is undefined while the tub is being created */
  | { state: 'recording'; tub: string | undefined }
  | { state: 'failed'; tub: string | undefined; error: string };

export interface RecordingReport {
  car: string;
  state: RecordingStatus['state'];
  tub?: string;
  records: number;
  /** records of that tub erased ("erase the last N seconds") */
  erased: number;
  error?: string;
}

/** What an erase did: the records it marked deleted in which tub, or why it did nothing. */
export type EraseOutcome = { ok: true; tub: string; from: number; to: number; records: number } | { ok: false; error: string };

export interface RecordingCounters {
  records: number;
  tubs: number;
  errors: number;
  /** frames taken while recording with no fresh control to pair them with */
  framesWithoutControl: number;
  /** frames dropped because writing fell behind */
  framesDropped: number;
  /** frames whose image could not be prepared (e.g. a corrupt JPEG) */
  framesBad: number;
  /** frames not recorded because the throttle was not applied (onThrottle) */
  framesWithoutThrottle: number;
  /** records erased ("erase the last N seconds"), and erases refused or failed */
  recordsErased: number;
  erasesFailed: number;
}

/** |throttle| at or below this counts as not applied (a wheel's pedal at rest reads 0; float noise does not count) */
const THROTTLE_APPLIED = 1e-3;

const silentLog: RecorderLog = { info() {}, warn() {}, error() {} };

export class RecordingSession {
  readonly counters: RecordingCounters = { records: 0, tubs: 0, errors: 0, framesWithoutControl: 0, framesDropped: 0, framesBad: 0, framesWithoutThrottle: 0, recordsErased: 0, erasesFailed: 0 };
  /** the current (or last) tub's recent records, for erase */
  private readonly recent = new RecentRecords();
  /** records erased from the current (or last) tub */
  private tubErased = 0;
  private status: RecordingStatus = { state: 'idle' };
  /** records in the current (or last) tub */
  private tubRecords = 0;
  private readonly history = new ControlHistory();
  private wanted = false;
  /** once telemetry has reported `recording`, it alone decides (the car is the truth) */
  private telemetryDecides = false;
  private carMode: string | undefined;
  private controlMode: string | undefined;
  private writer: TubSink | undefined;
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly log: RecorderLog;

  constructor(private readonly options: RecordingSessionOptions) {
    this.log = options.log ?? silentLog;
  }

  get carId(): string {
    return this.options.carId;
  }

  get state(): RecordingStatus {
    return this.status;
  }

  onControl(control: ControlIn): void {
    this.history.add({ ts: control.ts, angle: control.angle, throttle: control.throttle });
    if (control.mode !== undefined) this.controlMode = control.mode;
    if (control.recording !== undefined && !this.telemetryDecides) this.setWanted(control.recording);
  }

  onTelemetry(telemetry: TelemetryIn): void {
    this.carMode = telemetry.mode;
    if (telemetry.recording === undefined) return;
    this.telemetryDecides = true;
    this.setWanted(telemetry.recording);
  }

  onFrame(frame: FrameIn): void {
    // While the tub is still being created the frame queues behind it; after a failure nothing is taken.
    if (!this.wanted || this.status.state === 'failed') return;
    const maxAge = this.options.controlMaxAgeMs ?? 500;
    const control = this.history.at(frame.ts, maxAge);
    if (!control) {
      this.counters.framesWithoutControl++;
      return;
    }
    if (this.options.onThrottle && Math.abs(control.throttle) <= THROTTLE_APPLIED) {
      this.counters.framesWithoutThrottle++;
      return;
    }
    if (this.pending >= (this.options.maxPending ?? 30)) {
      this.counters.framesDropped++;
      return;
    }
    const mode = this.carMode ?? this.controlMode ?? 'user';
    this.pending++;
    this.enqueue(async () => {
      try {
        await this.writeFrame(frame, { ts: control.ts, angle: control.angle, throttle: control.throttle }, mode);
      } finally {
        this.pending--;
      }
    });
  }

  /** What the dashboard shows: the state, the tub (by name) with its record count, and the error. */
  report(): RecordingReport {
    const status = this.status;
    const tubPath = status.state === 'idle' ? status.lastTub : status.tub;
    const error = status.state === 'failed' ? status.error : status.state === 'idle' ? status.lastError : undefined;
    return {
      car: this.carId,
      state: status.state,
      records: this.tubRecords,
      erased: this.tubErased,
      ...(tubPath === undefined ? {} : { tub: path.basename(tubPath) }),
      ...(error === undefined ? {} : { error: error.slice(0, 2000) }),
    };
  }

  /**
   * Erases the last `seconds` recorded (1..MAX_ERASE_SECONDS), after every frame already queued is
   * written: from the open tub while recording, else from the tub this session last wrote. Each
   * erase reaches further back. Never rejects.
   */
  erase(seconds: number): Promise<EraseOutcome> {
    return new Promise((resolve) => {
      this.enqueue(async () => resolve(await this.eraseNow(seconds)));
    });
  }

  /** Resolves when everything asked so far (starts, frames, stops) is done. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Stops recording and closes the tub (service shutdown). */
  async close(): Promise<void> {
    this.wanted = false;
    this.enqueue(() => this.stop());
    await this.chain;
  }

  private setWanted(wanted: boolean): void {
    if (wanted === this.wanted) return;
    this.wanted = wanted;
    this.enqueue(() => (wanted ? this.start() : this.stop()));
  }

  private enqueue(step: () => Promise<void>): void {
    // Steps never reject (each handles its own errors), so one failure cannot stall the chain.
    this.chain = this.chain.then(step).catch((error: unknown) => this.log.error({ err: error, car: this.carId }, 'recorder step failed'));
  }

  private async start(): Promise<void> {
    if (this.writer) return;
    this.status = { state: 'recording', tub: undefined };
    let dir: string | undefined;
    try {
      const now = (this.options.now ?? (() => new Date()))();
      dir = await freshTubDir(this.options.tubsDir, this.carId, now, this.options.exists ?? pathExists);
      const open = this.options.openTub ?? openTubWriter;
      this.writer = await open(dir, this.carId);
      this.counters.tubs++;
      this.tubRecords = 0;
      this.tubErased = 0;
      this.recent.clear();
      this.status = { state: 'recording', tub: dir };
      this.log.info({ car: this.carId, tub: dir }, 'recording started');
    } catch (error) {
      await this.fail(dir, error);
    }
  }

  private async stop(): Promise<void> {
    const previous = this.status;
    const writer = this.writer;
    this.writer = undefined;
    if (writer) {
      try {
        await writer.close();
        this.log.info({ car: this.carId, tub: writer.dir, records: this.counters.records }, 'recording stopped');
      } catch (error) {
        this.counters.errors++;
        this.log.error({ car: this.carId, tub: writer.dir, err: error }, 'closing the tub failed; it keeps the records written before');
        this.status = { state: 'idle', lastTub: writer.dir, lastError: (error as Error).message };
        return;
      }
    }
    if (previous.state === 'failed') this.status = { state: 'idle', lastTub: previous.tub, lastError: previous.error };
    else this.status = { state: 'idle', lastTub: writer?.dir };
  }

  private async writeFrame(frame: FrameIn, control: { ts: number; angle: number; throttle: number }, mode: string): Promise<void> {
    const writer = this.writer;
    if (!writer || this.status.state !== 'recording') return;
    let jpeg: Uint8Array;
    try {
      jpeg = await (this.options.prepareImage ?? tubImage)(frame);
    } catch (error) {
      this.counters.framesBad++;
      this.log.warn({ car: this.carId, seq: frame.seq, err: error }, 'frame image unusable; not recorded');
      return;
    }
    try {
      const index = await writer.write({
        jpeg,
        angle: control.angle,
        throttle: control.throttle,
        mode,
        timestampMs: frame.ts,
        extra: { 'car/frame_seq': frame.seq, 'user/control_ts_ms': control.ts },
      });
      this.counters.records++;
      this.tubRecords++;
      this.recent.add(index, frame.ts);
    } catch (error) {
      await this.fail(writer.dir, error);
    }
  }

  private async eraseNow(seconds: number): Promise<EraseOutcome> {
    const refuse = (error: string): EraseOutcome => {
      this.counters.erasesFailed++;
      this.log.warn({ car: this.carId, seconds, error }, 'erase refused');
      return { ok: false, error };
    };
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_ERASE_SECONDS) return refuse(`seconds must be a whole number 1..${MAX_ERASE_SECONDS}, got ${String(seconds)}`);
    const status = this.status;
    const tub = this.writer?.dir ?? (status.state === 'idle' ? status.lastTub : status.tub);
    const range = this.recent.lastSeconds(seconds);
    if (!tub || !range) return refuse(`car ${this.carId} has recorded nothing that can still be erased`);
    const indexes = Array.from({ length: range.to - range.from + 1 }, (_, i) => range.from + i);
    try {
      if (this.writer) await this.writer.markDeleted(indexes);
      else await (this.options.deleteRange ?? deleteClosedRange)(tub, range);
    } catch (error) {
      this.counters.errors++;
      return refuse(`erasing records ${range.from}..${range.to} of ${path.basename(tub)} failed: ${(error as Error).message}`);
    }
    this.recent.forget(range);
    this.tubErased += range.count;
    this.counters.recordsErased += range.count;
    this.log.info({ car: this.carId, tub, seconds, from: range.from, to: range.to, records: range.count }, 'erased the last seconds of the recording');
    return { ok: true, tub: path.basename(tub), from: range.from, to: range.to, records: range.count };
  }

  /** Stops writing, keeps the error visible, and closes the tub so what was written stays readable. */
  private async fail(tub: string | undefined, error: unknown): Promise<void> {
    this.counters.errors++;
    const message = `recording car ${this.carId} stopped: ${(error as Error).message}`;
    this.status = { state: 'failed', tub, error: message };
    this.log.error({ car: this.carId, tub, err: error }, message);
    const writer = this.writer;
    this.writer = undefined;
    await writer?.close().catch((closeError: unknown) => this.log.warn({ car: this.carId, tub, err: closeError }, 'closing the failed tub also failed; it keeps the records written before'));
  }
}

/** A closed tub: the tub editor's delete range (the same manifest edit the dashboard's editor makes). */
function deleteClosedRange(dir: string, range: RecordRange): Promise<unknown> {
  return changeDeletions(dir, { from: range.from, to: range.to, action: 'delete' });
}

async function openTubWriter(dir: string, carId: string): Promise<TubSink> {
  return TubWriter.create(dir, { extraInputs: EXTRA_INPUTS, metadata: { car: carId, writer: 'edge-racing nuc/recorder' } });
}

function pathExists(dir: string): Promise<boolean> {
  return stat(dir).then(
    () => true,
    () => false,
  );
}
