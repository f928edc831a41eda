/** What the NUC server sends the dashboard (a mirror of nuc/server's shapes; the dashboard is built separately). */
export type DriveMode = 'user' | 'local_angle' | 'local';
export const DRIVE_MODES: readonly DriveMode[] = ['user', 'local_angle', 'local'];

export interface SimState {
  track: string;
  speed: number;
  cte: number;
  offTrack: boolean;
  lap: number;
  lapTimeS: number;
  lastLapS?: number;
  bestLapS?: number;
}

export interface Telemetry {
  car: string;
  ts: number;
  mode: DriveMode;
  angle: number;
  throttle: number;
  speed?: number;
  model: string;
  recording?: boolean;
  estop?: boolean;
  inferMs?: number;
  sim?: SimState;
}

/** The NUC recorder's state for one car; a failed recording keeps its error until recording restarts. */
export interface RecordingState {
  car: string;
  state: 'idle' | 'recording' | 'failed';
  tub?: string;
  records: number;
  error?: string;
}

export interface CarSummary {
  id: string;
  lastSeenMsAgo: number;
  frames: number;
  views: number;
  telemetry?: Omit<Telemetry, 'car'>;
}

export interface LapRecord {
  car: string;
  lap: number;
  timeS: number;
  at: number;
}

export interface LeaderboardData {
  top: LapRecord[];
  cars: { car: string; laps: number; lastLapS?: number; bestLapS?: number }[];
}

export interface VideoFrameHeader {
  car: string;
  seq: number;
  frameTs: number;
  serverTs: number;
  width: number;
  height: number;
  source: 'view' | 'frame';
  compositeMs?: number;
}

export interface CarAction {
  mode?: DriveMode;
  estop?: boolean;
  recording?: boolean;
}

export type ConnectionState = 'connecting' | 'connected' | 'lost';
