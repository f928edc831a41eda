/**
 * What the NUC server and the dashboard say to each other: the socket.io events of each namespace
 * and the JSON the REST routes answer. The server types its namespaces and handlers with these; the
 * dashboard imports this file, and only this file of the server, with `import type`. So it holds
 * types only and imports nothing but types: the dashboard's bundle gets none of the server's code.
 *
 * What a browser sends is typed as a well-behaved page sends it; the server still treats every
 * such value as unknown and checks it.
 */
import type { DriveMode, HeaderOf, SimState } from '../../protocol/index.ts';
import type { BackgroundInfo } from '../compositor/index.ts';
import type { ErrorReply } from '../http/index.ts';
import type { FleetCar, OsRebootResult, OsSlots, OsUpdate, ReleaseRecord, ReleaseSummary, RolloutEvent, RolloutsReply, ReleasesReply, RollbackResult } from '../ota/index.ts';
import type { ArenaEntry, ArenaJob, ArenaReplay, ArenaRequest, ArenaResult, EpochPoint, EvaluateJob, JobResult, JobsReply, ModelInfo, ModelsReply, ModelStatus, TrackResult, TrainingEvents, TrainingJob, TrainJob, TubInfo, TubsReply } from '../training/index.ts';
import type { ModelKind } from '../../model/index.ts';
import type { CarAction } from './actions.ts';
import type { CalibrateFields, CalibrateRequest } from './calibrate-request.ts';
import type { ControlFields } from './control-relay.ts';
import type { LiveCar, CarSummary } from './fleet-state.ts';
import type { CarLaps, LapRecord, LeaderboardData } from './leaderboard.ts';
import type { Settings, SettingsName } from '../settings/index.ts';
import type { VideoChoice, VideoFrameHeader, VideoSource } from './video-hub.ts';
import type { ChromaKeySettings, FilterName } from '../settings/index.ts';
import type {
  Bracket,
  CompetitionConfig,
  CompetitionsReply,
  CompetitionView,
  Correction,
  CrossingRecord,
  EntryStatus,
  HeatStanding,
  LapSheet,
  LiveRace,
  Match,
  PenaltyKind,
  Placing,
  Racer,
  RaceReply,
  RacersReply,
  RaceResult,
  RacesReply,
  ResetReply,
  ResultStanding,
  Standing,
  TrackOutline,
  TrackReply,
  TrialStanding,
} from '../track/index.ts';
import type { RacePhase } from '../../protocol/index.ts';

export type { CalibrateFields, CalibrateRequest };
export type { DriveMode, SimState, BackgroundInfo, ErrorReply, CarAction, ControlFields, LiveCar, CarSummary, LapRecord, CarLaps, LeaderboardData };
export type { Settings, SettingsName, VideoChoice, VideoFrameHeader, VideoSource, ChromaKeySettings, FilterName };
export type { EntryStatus, RacePhase, RaceReply, RaceResult, RacesReply, ResetReply, Standing, TrackOutline, TrackReply };
export type { Bracket, CompetitionConfig, CompetitionsReply, CompetitionView, Correction, CrossingRecord, HeatStanding, LapSheet, Match, PenaltyKind, Placing, Racer, RacersReply, ResultStanding, TrialStanding };
/** The session now, as every live view gets it (with its competition) */
export type RaceView = LiveRace;
export type { FleetCar, OsSlots, OsUpdate, ReleaseRecord, ReleaseSummary, RolloutEvent, RolloutsReply, ReleasesReply };
export type { EpochPoint, JobResult, JobsReply, ModelInfo, ModelKind, ModelsReply, TrackResult, TrainingEvents, TrainingJob, TubInfo, TubsReply };
export type { TrainJob, EvaluateJob, ArenaJob, ArenaRequest, ArenaResult, ArenaEntry, ArenaReplay, ModelStatus };
export type { TubDetailReply, RecordsReply, PlotReply, DeletionsReply, FilterReply, RecordRow, PlotBucket, TracksReply, TrackChoice } from '../training/index.ts';

// ---- shapes shared by events and routes ----

/** A car's telemetry as the driver's and audience screens get it: the bus header and the car's id. */
export type LiveTelemetry = HeaderOf<'telemetry'> & { car: string };

/** The recorder's state for one car; a failed recording keeps its error until recording restarts. */
export type RecordingState = HeaderOf<'recording'>;

/** What a browser's driving input carries: axes in [-1, 1], already ramped by the page. */
export interface DriveInput {
  angle: number;
  throttle: number;
}

/** The answer to a `watch` or an `action`; a `watch` says which video comes. */
export interface AckReply {
  ok: boolean;
  error?: string;
  video?: VideoChoice;
}

/** What a browser keying on its GPU needs to match the server's compositor (the settings file's look). */
export interface Look {
  keying: ChromaKeySettings;
  /** background pixels per camera frame at full lock */
  panScale: number;
  background: string;
  filter: FilterName;
}

/** One car on the track map: its pose and paint. */
export interface MapCar {
  car: string;
  x: number;
  y: number;
  heading: number;
  colour: string;
}

/** The track map's live layer (`poses`, ~10 Hz): every car where it is. */
export interface MapPoses {
  track: string;
  cars: MapCar[];
}

// ---- socket.io: per namespace, what the server emits and what a browser may send ----

/** `Bytes` is a JPEG: a Buffer where the server sends it, an ArrayBuffer where the browser gets it. */
export interface WatchEvents<Bytes> {
  /** the next video frame; the server sends another only once this one is acknowledged (or timed out) */
  frame: (header: VideoFrameHeader, jpeg: Bytes, ack: () => void) => void;
  telemetry: (telemetry: LiveTelemetry) => void;
  recording: (recording: RecordingState) => void;
  leaderboard: (board: LeaderboardData) => void;
  /** the compositor's look, on watch and when it changes */
  look: (look: Look) => void;
  /** every car on the track, for the map */
  poses: (poses: MapPoses) => void;
  /** the race now (null when none): on connect, at every change and a few times a second while it runs */
  race: (race: RaceView | null) => void;
}

/** A watch request: the car, and whether the browser composites itself (`raw`) or wants the server's composite. */
export interface WatchRequest {
  car: string;
  video: VideoChoice;
}

export interface WatchRequests {
  /** join one car's room and start its video; a later `watch` switches cars (a bare id: the server's composite) */
  watch: (request: string | WatchRequest, ack?: (reply: AckReply) => void) => void;
}

export interface DriverEvents<Bytes> extends WatchEvents<Bytes> {
  /** sent on connect: whether the handshake's token lets this socket drive */
  hello: (hello: { canDrive: boolean }) => void;
}

export interface DriverRequests extends WatchRequests {
  input: (input: DriveInput) => void;
  action: (action: CarAction, ack: (reply: AckReply) => void) => void;
  /** put the watched (simulated) car back on the track */
  reset: (ack: (reply: AckReply) => void) => void;
  /** erase the last `seconds` (1..60) of the watched car's recording */
  erase: (seconds: number, ack: (reply: AckReply) => void) => void;
}

export interface FleetEvents {
  cars: (cars: CarSummary[]) => void;
  leaderboard: (board: LeaderboardData) => void;
  settings: (settings: Settings) => void;
  /** the fleet's releases and update progress, pushed as updates move */
  fleet: (cars: FleetCar[]) => void;
  race: (race: RaceView | null) => void;
}

/** Namespaces a browser only listens on. */
export type NoRequests = Record<never, never>;

/** Every namespace: `toBrowser` is what the server emits, `fromBrowser` what it listens for. */
export interface Namespaces<Bytes> {
  '/driver': { toBrowser: DriverEvents<Bytes>; fromBrowser: DriverRequests };
  '/audience': { toBrowser: WatchEvents<Bytes>; fromBrowser: WatchRequests };
  '/fleet': { toBrowser: FleetEvents; fromBrowser: NoRequests };
  '/training': { toBrowser: TrainingEvents; fromBrowser: NoRequests };
}
export type NamespaceName = keyof Namespaces<unknown>;

// ---- REST: what each route answers (a refusal is always an ErrorReply) ----

/** `GET /healthz` */
export interface HealthReply {
  status: 'ok';
  /** whether the server's own bus subscription hears the services */
  bus: 'connected' | 'waiting';
  uptimeS: number;
}

/** `GET /api/services`: one entry per service that reported metrics. */
export interface ServiceSummary {
  scope: 'car' | 'nuc';
  id: string;
  service: string;
  up: boolean;
  metrics: HeaderOf<'metrics'>;
}

/** `POST /api/cars/:id/actions` (202): the control message it sent. */
export interface ActionReply {
  car: string;
  sent: ControlFields;
}

/** `POST /api/cars/:id/calibrate` (202): the calibrate message it sent to the car's actuator. */
export interface CalibrateReply {
  car: string;
  sent: CalibrateFields;
}

/**
 * `GET /api/cars/:id/calibration`: what the car's actuator reported in its latest metrics. A count
 * is null until the actuator has reported it; `saved` is the calibration it drives with now.
 */
export interface CalibrationReply {
  car: string;
  /** the actuator's metrics keep arriving */
  up: boolean;
  reportedMsAgo: number;
  calibrating: boolean;
  estop: boolean;
  steeringCount: number | null;
  throttleCount: number | null;
  /** how far from stopped the throttle may be moved while calibrating */
  throttleCap: number | null;
  saved: {
    steering: { leftCount: number | null; rightCount: number | null };
    throttle: { forwardCount: number | null; stoppedCount: number | null; reverseCount: number | null };
  };
  calibrationsSaved: number;
}

/** `GET /api/fleet` */
export interface FleetReply {
  cars: FleetCar[];
}

/** `POST /api/cars/:car/rollback` (201) */
export type RollbackReply = Omit<RollbackResult, 'release'> & { release: ReleaseSummary };

/** `POST /api/fleet/:car/os-reboot` (202): the car the next release hint lets reboot into its OS update, and every car it names */
export type OsRebootReply = OsRebootResult;

/** `POST /api/models/:name/ship` (201): the model-only release it published. */
export interface ShipReply {
  version: number;
  label: string;
  /** the model's name in the release, when it carries one */
  model?: string;
  /** set when it shipped on an override (not a candidate): what was overridden */
  override: string | null;
  /** the release whose services it carries: the newest, or the last healthy one when the newest was withdrawn; null for none */
  builtOn: number | null;
}

/** `GET /api/backgrounds` */
export type BackgroundsReply = BackgroundInfo[];
