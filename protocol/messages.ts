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

/**
 * Field annotations for the published contract (protocol/contract): `description` says what a field
 * is, `unit` its unit. The NUC's HTTP validator knows `unit` as a keyword (nuc/http/validation.ts).
 */
const about = (description: string, unit?: string) => (unit === undefined ? { description } : { description, unit });
const Count = Type.Integer({ minimum: 0 });
/** ms since the Unix epoch (1970-01-01 UTC) on the sender's wall clock */
const EpochMs = (description: string) => Type.Number({ minimum: 0, ...about(description, 'ms since the epoch') });
const Ms = (description: string) => Type.Number({ minimum: 0, ...about(description, 'ms') });
/** steering: -1 full left … 0 straight … 1 full right */
const Steering = (description = 'steering: -1 full left, 0 straight, 1 full right') => Type.Number({ minimum: -1, maximum: 1, ...about(description) });
/** throttle: -1 full reverse … 0 stopped … 1 full forward */
const Throttle = (description = 'throttle: -1 full reverse, 0 stopped, 1 full forward') => Type.Number({ minimum: -1, maximum: 1, ...about(description) });
/** A bus header or part of one: unknown fields are refused. */
const Closed = <T extends TProperties>(properties: T): TObject<T> => Type.Object(properties, { additionalProperties: false });
/** Names used as record keys (counters, loops, gauges): short, and safe as Prometheus metric names and label values. */
const NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$';
const Named = <T extends TSchema>(value: T, maxProperties: number, description?: string) =>
  Type.Record(Type.String({ pattern: NAME_PATTERN }), value, { maxProperties, additionalProperties: false, ...(description ? { description } : {}) });
/** a PCA9685 pulse length: 12-bit counts */
const Count12 = Type.Integer({ minimum: 0, maximum: 4095 });
const Common = {
  v: Type.Integer({ minimum: 1, ...about('header schema version: PROTOCOL_VERSION; a higher one is dropped as `version`') }),
  seq: Type.Integer({ minimum: 0, ...about('per topic and sender: 0 for its first message, then +1 for each') }),
  ts: EpochMs('when the sender sent it, its wall clock'),
};

export const DriveModeSchema = Type.Union([Type.Literal('user'), Type.Literal('local_angle'), Type.Literal('local')], {
  description: 'user: the driver steers and throttles; local_angle: the pilot steers, the driver throttles; local: the pilot drives',
});
export type DriveMode = Static<typeof DriveModeSchema>;
export const DRIVE_MODES: readonly DriveMode[] = ['user', 'local_angle', 'local'];

export const LoopStatsSchema = Closed({
  count: Type.Integer({ minimum: 0, ...about('loop iterations since the service started') }),
  overruns: Type.Integer({ minimum: 0, ...about('iterations that took longer than the loop period') }),
  p50Ms: Ms('median iteration time'),
  p99Ms: Ms('99th percentile iteration time'),
  maxMs: Ms('longest iteration time'),
});
export type LoopStats = Static<typeof LoopStatsSchema>;

export const CountersSchema = Closed({
  in: Type.Integer({ minimum: 0, ...about('messages received') }),
  out: Type.Integer({ minimum: 0, ...about('messages sent') }),
  dropped: Type.Integer({ minimum: 0, ...about('messages dropped') }),
  droppedBy: Named(Type.Integer({ minimum: 0, ...about('messages dropped for this reason') }), 64, 'messages dropped, by reason'),
});
export type CountersSnapshot = Static<typeof CountersSchema>;

const Width = Type.Integer({ minimum: 1, maximum: 8192, ...about("the JPEG's width: must be what its own header says", 'px') });
const Height = Type.Integer({ minimum: 1, maximum: 8192, ...about("the JPEG's height: must be what its own header says", 'px') });
const JpegFormat = Type.Literal('jpeg', about('the payload is one baseline or progressive JPEG image'));

export const FrameHeader = Closed({
  ...Common,
  width: Width,
  height: Height,
  format: JpegFormat,
});

/** The driver's view: a camera frame composited onto the green-screen background by the NUC. */
export const ViewHeader = Closed({
  ...Common,
  width: Width,
  height: Height,
  format: JpegFormat,
  /** the camera frame it was made from: its seq and capture time on the car */
  frameSeq: Type.Integer({ minimum: 0, ...about('seq of the camera frame it was made from') }),
  frameTs: EpochMs("the camera frame's ts (the car's clock)"),
  compositeMs: Ms('time spent compositing it'),
  /** the steering angle the background panned by */
  angle: Steering('the steering angle the background panned by (-1 left … 1 right)'),
});

export const ControlHeader = Closed({
  ...Common,
  angle: Steering(),
  throttle: Throttle(),
  mode: Type.Optional(Type.Union(DriveModeSchema.anyOf, about('switch the car to this drive mode; kept until changed (absent: unchanged)'))),
  recording: Type.Optional(Type.Boolean(about('start (true) or stop (false) recording this car; kept until changed (absent: unchanged)'))),
  estop: Type.Optional(Type.Boolean(about('latch (true) or clear (false) the emergency stop; kept until changed (absent: unchanged)'))),
  /** which input produced it: a wheel profile, 'browser', 'virtual' */
  input: Type.Optional(Type.String({ maxLength: 64, ...about("which input produced it: a wheel profile, 'browser', 'virtual', a tool's name") })),
});

export const DriveHeader = Closed({
  ...Common,
  /** pilot generation: during a live hand-over the actuator follows only the active one */
  gen: Type.Integer({ minimum: 0, ...about('pilot generation: during a live hand-over the actuator follows only the active one') }),
  angle: Steering(),
  throttle: Throttle(),
  source: Type.Union([Type.Literal('user'), Type.Literal('pilot')], about("whose decision: the driver's control or the pilot's")),
  /** the camera frame this decision was made on; -1 when none */
  frameSeq: Type.Integer({ minimum: -1, ...about('seq of the camera frame this decision was made on; -1 when none') }),
  /**
   * the sending process: its start, in ms since the car booted. A restarted pilot of the same
   * generation starts its seq at 0 again; a newer instance resets the actuator's stale-seq check.
   */
  instance: Type.Optional(Type.Integer({ minimum: 0, ...about('the sending process: its start, since the car booted', 'ms') })),
});

/**
 * The car's battery as its INA219 gauge reads it: the bus voltage (the chip measures up to 32 V),
 * the current through the shunt (the chip's ±320 mV over the smallest sensible shunt), and whether
 * the voltage is below the car's configured `car.battery.lowVolts`.
 */
export const BatteryStateSchema = Closed({
  volts: Type.Number({ minimum: 0, maximum: 33, ...about('bus voltage at the INA219', 'V') }),
  amps: Type.Number({ minimum: -400, maximum: 400, ...about('current through the shunt, positive discharging', 'A') }),
  low: Type.Boolean(about('below car.battery.lowVolts')),
});
export type BatteryStateFields = Static<typeof BatteryStateSchema>;

/** What the actuator wrote to the PWM chip, and why (a command, the failsafe, estop, or idle). */
export const AppliedHeader = Closed({
  ...Common,
  angle: Steering('the steering applied (-1 left … 1 right)'),
  throttle: Throttle('the throttle applied (-1 reverse … 1 forward)'),
  steeringCount: Type.Integer({ minimum: 0, maximum: 4096, ...about("the steering channel's PCA9685 pulse length", '1/4096 of the PWM period') }),
  throttleCount: Type.Integer({ minimum: 0, maximum: 4096, ...about("the throttle channel's PCA9685 pulse length", '1/4096 of the PWM period') }),
  /** `calibration`: the dashboard's calibration page holds the channels at raw counts */
  reason: Type.Union([Type.Literal('command'), Type.Literal('failsafe'), Type.Literal('estop'), Type.Literal('idle'), Type.Literal('calibration')]),
  estop: Type.Boolean(),
  /** the drive command applied: its generation and seq (absent when none yet) */
  gen: Type.Optional(Count),
  driveSeq: Type.Optional(Count),
  /** the pilot generation the actuator follows; absent while it accepts any */
  activeGen: Type.Optional(Count),
  /** the battery gauge on the actuator's I2C bus; absent when there is none or it does not answer */
  battery: Type.Optional(Type.Object(BatteryStateSchema.properties, { additionalProperties: false, ...about("the battery gauge on the actuator's I2C bus; absent when there is none or it does not answer") })),
});

const Seconds = (description: string) => Type.Number({ minimum: 0, ...about(description, 's') });
export const SimStateSchema = Closed({
  track: Type.String({ maxLength: 64, ...about("the simulated track's name") }),
  x: Type.Number(about('position east on the track', 'm')),
  y: Type.Number(about('position north on the track', 'm')),
  heading: Type.Number(about('heading, counter-clockwise from east', 'rad')),
  speed: Type.Number(about('speed along the heading; negative when reversing', 'm/s')),
  cte: Type.Number(about('cross-track error, positive right of the centre line', 'm')),
  offTrack: Type.Boolean(about('the car is off the road now')),
  offTrackEvents: Type.Integer({ minimum: 0, ...about('times the car left the road') }),
  progress: Type.Number({ minimum: 0, ...about('distance along the loop from the start line', 'm') }),
  lap: Type.Integer({ minimum: 0, ...about('laps completed') }),
  lapTimeS: Seconds('time into the current lap'),
  lastLapS: Type.Optional(Seconds('the last complete lap')),
  bestLapS: Type.Optional(Seconds('the best lap')),
  /** times the car was put back on the track (a reset from the dashboard, the wheel or race control) */
  resets: Type.Optional(Type.Integer({ minimum: 0, ...about('times the car was put back on the track') })),
  /** times the car touched another car on the shared track */
  contacts: Type.Optional(Type.Integer({ minimum: 0, ...about('times the car touched another car') })),
});
export type SimState = Static<typeof SimStateSchema>;

export const TelemetryHeader = Closed({
  ...Common,
  mode: DriveModeSchema,
  angle: Steering('the steering the car drives with now (-1 left … 1 right)'),
  throttle: Throttle('the throttle the car drives with now (-1 reverse … 1 forward)'),
  speed: Type.Optional(Type.Number(about('speed, negative when reversing (simulated cars)', 'm/s'))),
  /** the pilot or model in use */
  model: Type.String({ maxLength: 200, ...about('the pilot or model in use') }),
  loop: Type.Object(LoopStatsSchema.properties, { additionalProperties: false, ...about("the drive loop's timing") }),
  recording: Type.Optional(Type.Boolean(about('the car asked to be recorded (the latest control said so)'))),
  estop: Type.Optional(Type.Boolean(about('the emergency stop is latched'))),
  inferMs: Type.Optional(Ms("the pilot model's last inference time")),
  sim: Type.Optional(Type.Object(SimStateSchema.properties, { additionalProperties: false, ...about("the simulator's state (simulated cars only)") })),
  battery: Type.Optional(Type.Object(BatteryStateSchema.properties, { additionalProperties: false, ...about("the battery gauge's latest reading (car.battery); absent without one") })),
});

/** Where a car's OS update is (AgentHeader.osUpdate.outcome). */
export const OS_UPDATE_OUTCOMES = ['downloading', 'installing', 'pending-reboot', 'rebooting', 'trial', 'good', 'rolled-back', 'failed'] as const;
export type OsUpdateOutcome = (typeof OS_UPDATE_OUTCOMES)[number];
/** RAUC's boot status of a root slot; `inactive` is a slot nothing was installed into yet. */
export const OS_SLOT_STATES = ['good', 'bad', 'inactive'] as const;
export type OsSlotStateName = (typeof OS_SLOT_STATES)[number];
const OsSlotName = (description: string) => Type.Union([Type.Literal('A'), Type.Literal('B')], about(description));
const OsSlotState = (description: string) =>
  Closed({
    state: Type.Union(OS_SLOT_STATES.map((s) => Type.Literal(s)), about(`${description}: RAUC's boot status`)),
    version: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._+-]{1,64}$', ...about(`${description}: the OS version installed in it`) })),
  });

export const AgentHeader = Closed({
  ...Common,
  release: Type.String({ maxLength: 200, ...about('the release the car runs') }),
  slot: Type.Union([Type.Literal('A'), Type.Literal('B')], about('the active service slot')),
  state: Type.String({ maxLength: 64, ...about("the update agent's state, e.g. idle, downloading, switching") }),
  progress: Type.Number({ minimum: 0, maximum: 1, ...about("the current update step's progress (fraction)") }),
  error: Type.Optional(Type.String({ maxLength: 2000, ...about('why the last update failed') })),
  /** the active drive generation: the actuator follows only this pilot generation's commands */
  gen: Type.Optional(Type.Integer({ minimum: 0, ...about("the active drive generation: the actuator follows only this pilot generation's commands") })),
  /** the installed release's version (0: none yet) */
  version: Type.Optional(Type.Integer({ minimum: 0, ...about("the installed release's version (0: none yet)") })),
  os: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._+-]{1,64}$', ...about("the car OS's version (/etc/edge-os-release of a car running the project's image); absent elsewhere") })),
  /** the car OS's root slots as RAUC sees them (cars running the project's image only) */
  osSlots: Type.Optional(
    Closed({
      booted: OsSlotName('the root slot the car booted from'),
      A: OsSlotState('root slot A'),
      B: OsSlotState('root slot B'),
    }),
  ),
  /** the last OS update's outcome, kept on the data partition across reboots */
  osUpdate: Type.Optional(
    Closed({
      version: Type.String({ pattern: '^[A-Za-z0-9._+-]{1,64}$', ...about('the OS version the update installs') }),
      outcome: Type.Union(OS_UPDATE_OUTCOMES.map((o) => Type.Literal(o)), about('where the OS update is: downloading, installing, waiting to reboot, rebooting, on trial after the reboot, good (marked good), rolled-back (the car came back on its old slot), failed (refused or install failed; the running OS untouched)')),
      reason: Type.Optional(Type.String({ maxLength: 500, ...about('what went wrong, or what the car found out after a fallback') })),
      at: EpochMs('when the outcome last changed'),
      downloadedBytes: Type.Optional(
        Type.Integer({ minimum: 0, maximum: 2 ** 40, ...about('bytes the car downloaded for this OS update: the bundle, plus the chunks its running slot lacked (chunked bundles)', 'bytes') }),
      ),
    }),
  ),
});

export const MetricsHeader = Closed({
  ...Common,
  service: Type.String({ pattern: NAME_PATTERN, ...about("the service's name") }),
  pid: Type.Integer({ minimum: 0, ...about('its process id') }),
  uptimeS: Seconds('time since the service started'),
  rssBytes: Type.Integer({ minimum: 0, ...about('resident memory', 'bytes') }),
  counters: Type.Object(CountersSchema.properties, { additionalProperties: false, ...about('bus messages in, out and dropped by reason') }),
  loops: Named(LoopStatsSchema, 16, "the service's loops' timing, by loop name"),
  /** service-specific gauges, e.g. frames composited, lost controls */
  gauges: Type.Optional(Named(Type.Number(about('a service-specific gauge, e.g. frames composited, lost controls')), 64, 'service-specific gauges, by name')),
});

/** The recorder's state for one car (`nuc/recorder/recording`): on change and every few seconds. */
export const RecordingHeader = Closed({
  ...Common,
  car: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', ...about('the car') }),
  state: Type.Union([Type.Literal('idle'), Type.Literal('recording'), Type.Literal('failed')], about("the car's recording state")),
  /** the tub being written (or last written when idle) */
  tub: Type.Optional(Type.String({ maxLength: 200, ...about('the tub being written (or last written when idle)') })),
  /** records written to that tub */
  records: Type.Integer({ minimum: 0, ...about('records written to that tub') }),
  erased: Type.Optional(Type.Integer({ minimum: 0, ...about('of those, records erased ("erase the last N seconds": the tub\'s deleted_indexes)') })),
  /** why recording stopped, while failed (or the last failure when idle) */
  error: Type.Optional(Type.String({ maxLength: 2000, ...about('why recording stopped, while failed (or the last failure when idle)') })),
});

/**
 * A hint that the update repository changed (`nuc/ota/release`): a car's agent then polls at once
 * instead of at its next interval. It carries nothing to trust; the agent still pulls and verifies
 * everything through TUF.
 */
export const ReleaseHeader = Closed({
  ...Common,
  /** the version of the repository's timestamp.json now */
  timestamp: Type.Integer({ minimum: 0, ...about("the version of the update repository's timestamp.json now") }),
  /** cars whose operator pressed "reboot into the new OS" on /fleet (car.agent.osReboot: operator) */
  osReboot: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }), { maxItems: 64, ...about('cars an operator allowed to reboot into their installed OS update now (car.agent.osReboot: operator)') })),
});

/**
 * The car's link to the NUC as its uplink sees it (`car/<id>/link`, car-local only): on every change
 * and every second, so a pilot that starts during an outage learns it.
 */
export const LinkHeader = Type.Object(
  {
    ...Common,
    up: Type.Boolean(about("the uplink's connection to the NUC is up")),
    /** when the link last went up or down (the uplink's clock, ms) */
    since: Type.Number({ minimum: 0, ...about('when the link last went up or down (the uplink\'s monotonic clock)', 'ms') }),
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
    action: Type.Union([Type.Literal('enter'), Type.Literal('set'), Type.Literal('save'), Type.Literal('exit')], about('enter or exit the calibration state, set raw counts, save the five counts on the car')),
    steeringCount: Type.Optional(Type.Integer({ minimum: 0, maximum: 4095, ...about('with `set`: the steering channel\'s raw pulse length', '1/4096 of the PWM period') })),
    throttleCount: Type.Optional(Type.Integer({ minimum: 0, maximum: 4095, ...about('with `set`: the throttle channel\'s raw pulse length', '1/4096 of the PWM period') })),
    /** with `save`: the counts for full left and right, and for forward, stopped and reverse */
    steering: Type.Optional(Type.Object({ leftCount: Count12, rightCount: Count12 }, { additionalProperties: false, ...about('with `save`: the counts for full left and right (1/4096 of the PWM period)') })),
    throttle: Type.Optional(Type.Object({ forwardCount: Count12, stoppedCount: Count12, reverseCount: Count12 }, { additionalProperties: false, ...about('with `save`: the counts for full forward, stopped and full reverse (1/4096 of the PWM period)') })),
  },
  { additionalProperties: false },
);

const CarId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', ...about('a car id') });
const closed = { additionalProperties: false } as const;
/** At most this many cars share one track (poses, race entries, compositing demand). */
export const MAX_TRACK_CARS = 32;

export const CarPoseSchema = Type.Object(
  {
    car: CarId,
    x: Type.Number({ minimum: -1e4, maximum: 1e4, ...about('position east on the track', 'm') }),
    y: Type.Number({ minimum: -1e4, maximum: 1e4, ...about('position north on the track', 'm') }),
    heading: Type.Number({ minimum: -100, maximum: 100, ...about('heading, counter-clockwise from east', 'rad') }),
    speed: Type.Number({ minimum: -100, maximum: 100, ...about('speed along the heading', 'm/s') }),
    /** the pose's age at the NUC when this message was sent: a car extrapolates the rest */
    ageMs: Type.Integer({ minimum: 0, maximum: 60_000, ...about("the pose's age at the NUC when this was sent: a car extrapolates the rest", 'ms') }),
  },
  closed,
);
export type CarPose = Static<typeof CarPoseSchema>;

export const RacePhaseSchema = Type.Union([Type.Literal('grid'), Type.Literal('lights'), Type.Literal('racing'), Type.Literal('finished')], about("the race's phase"));
export type RacePhase = Static<typeof RacePhaseSchema>;

/**
 * The shared track (`nuc/track/poses`, NUC → every car and the dashboard, ≥ 20 Hz): every car's pose
 * from its telemetry, and the race in progress. A car's pilot holds its throttle at 0 while its id is
 * in `hold` (on the grid, under the start lights, after the flag).
 */
export const PosesHeader = Type.Object(
  {
    ...Common,
    track: Type.String({ maxLength: 64, ...about("the shared track's name") }),
    cars: Type.Array(CarPoseSchema, { maxItems: MAX_TRACK_CARS, ...about("every car's pose") }),
    race: Type.Optional(
      Type.Object(
        {
          id: Type.Integer({ minimum: 0, ...about("the race's id") }),
          phase: RacePhaseSchema,
          /** start lights lit, 0..5; all out is the start */
          lights: Type.Integer({ minimum: 0, maximum: 5, ...about('start lights lit; all out is the start') }),
          hold: Type.Array(CarId, { maxItems: MAX_TRACK_CARS, ...about('cars whose pilots hold throttle 0 (grid, lights, after the flag)') }),
        },
        { ...closed, ...about('the race in progress, if any') },
      ),
    ),
  },
  closed,
);

/**
 * Put the simulated car back (`car/<id>/reset`, NUC server or wheel → car sim and pilot): `track` is
 * the nearest point of the centre line, `grid` the race grid's slot `slot`; stopped, facing the racing
 * direction. A real car has no sim to move; on any car a reset to the grid holds the pilot until
 * `nuc/track/poses` sent after the reset lifts the hold.
 */
export const ResetHeader = Type.Object(
  {
    ...Common,
    to: Type.Union([Type.Literal('track'), Type.Literal('grid')], about("track: the centre line's nearest point; grid: the race grid's slot `slot`")),
    slot: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TRACK_CARS - 1, ...about("the grid slot, with `to: 'grid'`") })),
  },
  closed,
);

/** The longest span an erase may take back: a minute of driving (Donkeycar's button erases 100 records, 5 s at 20 Hz). */
export const MAX_ERASE_SECONDS = 60;

/**
 * "Erase the last N seconds" of a car's recording (`car/<id>/erase`, the wheel's button or the
 * driver's screen through the server → recorder): the recorder marks the records of the last
 * `seconds` recorded as deleted in the tub's `deleted_indexes`, as Donkeycar's own button does.
 */
export const EraseHeader = Type.Object(
  {
    ...Common,
    seconds: Type.Integer({ minimum: 1, maximum: MAX_ERASE_SECONDS, ...about('how much of the latest recording to erase', 's') }),
  },
  closed,
);

/**
 * Which cars someone watches through the server's compositor (`nuc/server/compose`, server →
 * compositor, on change and every second): the compositor composites only these cars.
 */
export const ComposeHeader = Type.Object({ ...Common, cars: Type.Array(CarId, { maxItems: 64, ...about('the cars to composite') }) }, closed);

/** Where a crossing was seen: a sensor on a GPIO line, the simulator's line, or the timekeeper's hand. */
export const CrossingSourceSchema = Type.Union([Type.Literal('gpio'), Type.Literal('sim'), Type.Literal('manual')], about('where the crossing was seen: a GPIO sensor, the simulator, the timekeeper'));
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
    gate: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', ...about('the timing gate (line) crossed') }),
    atMs: EpochMs("when the line was crossed, the NUC's clock"),
    source: CrossingSourceSchema,
    car: Type.Optional(Type.String({ pattern: CarId.pattern, ...about('the car that crossed, when the source knows it') })),
  },
  closed,
);

/** The car's pose and track state from the simulator, on the car-local bus at the physics rate. */
export const SimHeader = Closed({ ...Common, ...SimStateSchema.properties, angle: Steering('the steering the physics applies'), throttle: Throttle('the throttle the physics applies') });

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
  erase: EraseHeader,
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
