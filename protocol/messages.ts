/**
 * Schemas of every message kind's header on the bus (frame, control, drive, telemetry, ...), compiled once for speed.
 * Every schema is closed: an unknown field is refused (not stripped), strings, records and the nesting
 * are bounded, so a header that passes carries only named, bounded fields (a newer sender raises `v`).
 */
import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { MessageKind } from './topics.ts';

/** The header schema version this build speaks; a higher `v` is dropped as 'version'. */
export const PROTOCOL_VERSION = 1;

const Unit = Type.Number({ minimum: -1, maximum: 1 });
const Count = Type.Integer({ minimum: 0 });
/** A bus header or part of one: unknown fields are refused. */
const Closed = <T extends TProperties>(properties: T): TObject<T> => Type.Object(properties, { additionalProperties: false });
/** Names used as record keys (counters, loops, gauges): short, and safe as Prometheus metric names and label values. */
const NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$';
const Named = <T extends TSchema>(value: T, maxProperties: number) =>
  Type.Record(Type.String({ pattern: NAME_PATTERN }), value, { maxProperties, additionalProperties: false });
/** a PCA9685 pulse length: 12-bit counts */
const Count12 = Type.Integer({ minimum: 0, maximum: 4095 });
const Common = {
  v: Type.Integer({ minimum: 1 }),
  seq: Count,
  ts: Type.Number({ minimum: 0 }),
};

export const DriveModeSchema = Type.Union([Type.Literal('user'), Type.Literal('local_angle'), Type.Literal('local')]);
export type DriveMode = Static<typeof DriveModeSchema>;
export const DRIVE_MODES: readonly DriveMode[] = ['user', 'local_angle', 'local'];

export const LoopStatsSchema = Closed({
  count: Count,
  overruns: Count,
  p50Ms: Type.Number({ minimum: 0 }),
  p99Ms: Type.Number({ minimum: 0 }),
  maxMs: Type.Number({ minimum: 0 }),
});
export type LoopStats = Static<typeof LoopStatsSchema>;

export const CountersSchema = Closed({
  in: Count,
  out: Count,
  dropped: Count,
  droppedBy: Named(Count, 64),
});
export type CountersSnapshot = Static<typeof CountersSchema>;

export const FrameHeader = Closed({
  ...Common,
  width: Type.Integer({ minimum: 1, maximum: 8192 }),
  height: Type.Integer({ minimum: 1, maximum: 8192 }),
  format: Type.Literal('jpeg'),
});

/** The driver's view: a camera frame composited onto the green-screen background by the NUC. */
export const ViewHeader = Closed({
  ...Common,
  width: Type.Integer({ minimum: 1, maximum: 8192 }),
  height: Type.Integer({ minimum: 1, maximum: 8192 }),
  format: Type.Literal('jpeg'),
  /** the camera frame it was made from: its seq and capture time on the car */
  frameSeq: Count,
  frameTs: Type.Number({ minimum: 0 }),
  compositeMs: Type.Number({ minimum: 0 }),
  /** the steering angle the background panned by */
  angle: Unit,
});

export const ControlHeader = Closed({
  ...Common,
  angle: Unit,
  throttle: Unit,
  mode: Type.Optional(DriveModeSchema),
  recording: Type.Optional(Type.Boolean()),
  estop: Type.Optional(Type.Boolean()),
  /** which input produced it: a wheel profile, 'browser', 'virtual' */
  input: Type.Optional(Type.String({ maxLength: 64 })),
});

export const DriveHeader = Closed({
  ...Common,
  /** pilot generation: during a live hand-over the actuator follows only the active one */
  gen: Count,
  angle: Unit,
  throttle: Unit,
  source: Type.Union([Type.Literal('user'), Type.Literal('pilot')]),
  /** the camera frame this decision was made on; -1 when none */
  frameSeq: Type.Integer({ minimum: -1 }),
  /**
   * the sending process: its start, in ms since the car booted. A restarted pilot of the same
   * generation starts its seq at 0 again; a newer instance resets the actuator's stale-seq check.
   */
  instance: Type.Optional(Count),
});

/** What the actuator wrote to the PWM chip, and why (a command, the failsafe, estop, or idle). */
export const AppliedHeader = Closed({
  ...Common,
  angle: Unit,
  throttle: Unit,
  steeringCount: Type.Integer({ minimum: 0, maximum: 4096 }),
  throttleCount: Type.Integer({ minimum: 0, maximum: 4096 }),
  /** `calibration`: the dashboard's calibration page holds the channels at raw counts */
  reason: Type.Union([Type.Literal('command'), Type.Literal('failsafe'), Type.Literal('estop'), Type.Literal('idle'), Type.Literal('calibration')]),
  estop: Type.Boolean(),
  /** the drive command applied: its generation and seq (absent when none yet) */
  gen: Type.Optional(Count),
  driveSeq: Type.Optional(Count),
  /** the pilot generation the actuator follows; absent while it accepts any */
  activeGen: Type.Optional(Count),
});

export const SimStateSchema = Closed({
  track: Type.String({ maxLength: 64 }),
  x: Type.Number(),
  y: Type.Number(),
  heading: Type.Number(),
  speed: Type.Number(),
  cte: Type.Number(),
  offTrack: Type.Boolean(),
  offTrackEvents: Count,
  progress: Type.Number({ minimum: 0 }),
  lap: Count,
  lapTimeS: Type.Number({ minimum: 0 }),
  lastLapS: Type.Optional(Type.Number({ minimum: 0 })),
  bestLapS: Type.Optional(Type.Number({ minimum: 0 })),
  /** times the car was put back on the track (a reset from the dashboard, the wheel or race control) */
  resets: Type.Optional(Count),
  /** times the car touched another car on the shared track */
  contacts: Type.Optional(Count),
});
export type SimState = Static<typeof SimStateSchema>;

export const TelemetryHeader = Closed({
  ...Common,
  mode: DriveModeSchema,
  angle: Unit,
  throttle: Unit,
  speed: Type.Optional(Type.Number()),
  /** the pilot or model in use */
  model: Type.String({ maxLength: 200 }),
  loop: LoopStatsSchema,
  recording: Type.Optional(Type.Boolean()),
  estop: Type.Optional(Type.Boolean()),
  inferMs: Type.Optional(Type.Number({ minimum: 0 })),
  sim: Type.Optional(SimStateSchema),
});

export const AgentHeader = Closed({
  ...Common,
  release: Type.String({ maxLength: 200 }),
  slot: Type.Union([Type.Literal('A'), Type.Literal('B')]),
  state: Type.String({ maxLength: 64 }),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  error: Type.Optional(Type.String({ maxLength: 2000 })),
  /** the active drive generation: the actuator follows only this pilot generation's commands */
  gen: Type.Optional(Count),
  /** the installed release's version (0: none yet) */
  version: Type.Optional(Count),
  /** the car OS's version (/etc/edge-os-release of a car running the project's image); absent elsewhere */
  os: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._+-]{1,64}$' })),
});

export const MetricsHeader = Closed({
  ...Common,
  service: Type.String({ pattern: NAME_PATTERN }),
  pid: Count,
  uptimeS: Type.Number({ minimum: 0 }),
  rssBytes: Count,
  counters: CountersSchema,
  loops: Named(LoopStatsSchema, 16),
  /** service-specific gauges, e.g. frames composited, lost controls */
  gauges: Type.Optional(Named(Type.Number(), 64)),
});

/** The recorder's state for one car (`nuc/recorder/recording`): on change and every few seconds. */
export const RecordingHeader = Closed({
  ...Common,
  car: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }),
  state: Type.Union([Type.Literal('idle'), Type.Literal('recording'), Type.Literal('failed')]),
  /** the tub being written (or last written when idle) */
  tub: Type.Optional(Type.String({ maxLength: 200 })),
  /** records written to that tub */
  records: Count,
  /** why recording stopped, while failed (or the last failure when idle) */
  error: Type.Optional(Type.String({ maxLength: 2000 })),
});

/**
 * A hint that the update repository changed (`nuc/ota/release`): a car's agent then polls at once
 * instead of at its next interval. It carries nothing to trust; the agent still pulls and verifies
 * everything through TUF.
 */
export const ReleaseHeader = Closed({
  ...Common,
  /** the version of the repository's timestamp.json now */
  timestamp: Count,
});

/**
 * The car's link to the NUC as its uplink sees it (`car/<id>/link`, car-local only): on every change
 * and every second, so a pilot that starts during an outage learns it.
 */
export const LinkHeader = Type.Object(
  {
    ...Common,
    up: Type.Boolean(),
    /** when the link last went up or down (the uplink's clock, ms) */
    since: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/**
 * Calibrating a real car from the NUC (`car/<id>/calibrate`, NUC → actuator), as Donkeycar's
 * `calibrate`: `enter` puts the actuator in its calibration state (drive commands are ignored, the
 * throttle is capped around neutral and estop still latches), `set` moves a channel to a raw count,
 * `save` stores the five counts on the car, `exit` leaves the state.
 */
export const CalibrateHeader = Type.Object(
  {
    ...Common,
    action: Type.Union([Type.Literal('enter'), Type.Literal('set'), Type.Literal('save'), Type.Literal('exit')]),
    steeringCount: Type.Optional(Count12),
    throttleCount: Type.Optional(Count12),
    /** with `save`: the counts for full left and right, and for forward, stopped and reverse */
    steering: Type.Optional(Type.Object({ leftCount: Count12, rightCount: Count12 }, { additionalProperties: false })),
    throttle: Type.Optional(Type.Object({ forwardCount: Count12, stoppedCount: Count12, reverseCount: Count12 }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

const CarId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' });
const closed = { additionalProperties: false } as const;
/** At most this many cars share one track (poses, race entries, compositing demand). */
export const MAX_TRACK_CARS = 32;

export const CarPoseSchema = Type.Object(
  {
    car: CarId,
    x: Type.Number({ minimum: -1e4, maximum: 1e4 }),
    y: Type.Number({ minimum: -1e4, maximum: 1e4 }),
    heading: Type.Number({ minimum: -100, maximum: 100 }),
    speed: Type.Number({ minimum: -100, maximum: 100 }),
    /** the pose's age at the NUC when this message was sent: a car extrapolates the rest */
    ageMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
  },
  closed,
);
export type CarPose = Static<typeof CarPoseSchema>;

export const RacePhaseSchema = Type.Union([Type.Literal('grid'), Type.Literal('lights'), Type.Literal('racing'), Type.Literal('finished')]);
export type RacePhase = Static<typeof RacePhaseSchema>;

/**
 * The shared track (`nuc/track/poses`, NUC → every car and the dashboard, ≥ 20 Hz): every car's pose
 * from its telemetry, and the race in progress. A car's pilot holds its throttle at 0 while its id is
 * in `hold` (on the grid, under the start lights, after the flag).
 */
export const PosesHeader = Type.Object(
  {
    ...Common,
    track: Type.String({ maxLength: 64 }),
    cars: Type.Array(CarPoseSchema, { maxItems: MAX_TRACK_CARS }),
    race: Type.Optional(
      Type.Object(
        {
          id: Count,
          phase: RacePhaseSchema,
          /** start lights lit, 0..5; all out is the start */
          lights: Type.Integer({ minimum: 0, maximum: 5 }),
          hold: Type.Array(CarId, { maxItems: MAX_TRACK_CARS }),
        },
        closed,
      ),
    ),
  },
  closed,
);

/**
 * Put the simulated car back (`car/<id>/reset`, NUC server or wheel → car sim): `track` is the
 * nearest point of the centre line, `grid` the race grid's slot `slot`; stopped, facing the racing
 * direction. A real car has no sim and ignores it.
 */
export const ResetHeader = Type.Object(
  {
    ...Common,
    to: Type.Union([Type.Literal('track'), Type.Literal('grid')]),
    slot: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TRACK_CARS - 1 })),
  },
  closed,
);

/**
 * Which cars someone watches through the server's compositor (`nuc/server/compose`, server →
 * compositor, on change and every second): the compositor composites only these cars.
 */
export const ComposeHeader = Type.Object({ ...Common, cars: Type.Array(CarId, { maxItems: 64 }) }, closed);

/** Where a crossing was seen: a sensor on a GPIO line, the simulator's line, or the timekeeper's hand. */
export const CrossingSourceSchema = Type.Union([Type.Literal('gpio'), Type.Literal('sim'), Type.Literal('manual')]);
export type CrossingSource = Static<typeof CrossingSourceSchema>;

/**
 * A crossing of the start/finish line (`nuc/timing/crossing`, the timing service → race control and
 * the dashboard). `atMs` is the NUC clock's time of the crossing (ms since the epoch), the sensor's
 * debounced edge for `gpio`; `car` is set when the source knows which car crossed (the simulator, a
 * transponder, the timekeeper); a beam or a strip alone does not, and race control assigns it.
 */
export const CrossingHeader = Type.Object(
  {
    ...Common,
    gate: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }),
    atMs: Type.Number({ minimum: 0 }),
    source: CrossingSourceSchema,
    car: Type.Optional(CarId),
  },
  closed,
);

/** The car's pose and track state from the simulator, on the car-local bus at the physics rate. */
export const SimHeader = Closed({ ...Common, ...SimStateSchema.properties, angle: Unit, throttle: Unit });

export const HEADER_SCHEMAS = {
  frame: FrameHeader,
  view: ViewHeader,
  control: ControlHeader,
  drive: DriveHeader,
  applied: AppliedHeader,
  telemetry: TelemetryHeader,
  agent: AgentHeader,
  metrics: MetricsHeader,
  sim: SimHeader,
  recording: RecordingHeader,
  release: ReleaseHeader,
  link: LinkHeader,
  calibrate: CalibrateHeader,
  poses: PosesHeader,
  reset: ResetHeader,
  compose: ComposeHeader,
  crossing: CrossingHeader,
} satisfies Record<MessageKind, TSchema>;

export type HeaderOf<K extends MessageKind> = Static<(typeof HEADER_SCHEMAS)[K]>;
/** What a sender fills in: the codec stamps v, seq and ts. */
export type FieldsOf<K extends MessageKind> = Omit<HeaderOf<K>, 'v' | 'seq' | 'ts'> & { ts?: number };

/** Kinds whose message carries a binary payload (the third frame): JPEG bytes. */
export type PayloadKind = 'frame' | 'view';
export const PAYLOAD_KINDS: ReadonlySet<MessageKind> = new Set<PayloadKind>(['frame', 'view']);

const compiled = new Map<MessageKind, TypeCheck<TSchema>>();
export function headerValidator(kind: MessageKind): TypeCheck<TSchema> {
  let check = compiled.get(kind);
  if (!check) {
    check = TypeCompiler.Compile(HEADER_SCHEMAS[kind]);
    compiled.set(kind, check);
  }
  return check;
}
