/**
 * The platform's configuration: one YAML or JSON file whose defaults run the one-machine demo.
 * Unknown fields are errors, so a typo never silently falls back to a default.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { OS_CHUNK_PROXY_PORT } from './car-os.ts';

const strict = { additionalProperties: false } as const;
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' });
const Count12 = Type.Integer({ minimum: 0, maximum: 4095 });
const Channel = Type.Integer({ minimum: 0, maximum: 15 });

/** An object whose every field has a default, so the whole section may be left out. */
function Section<T extends Record<string, TSchema>>(properties: T, description?: string) {
  return Type.Object(properties, { ...strict, default: {}, ...(description ? { description } : {}) });
}

export const LogSchema = Section({
  level: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

export const BusSchema = Section({
  /**
   * 'curve': every TCP bus connection is encrypted and authenticated (CURVE), the proxy admits only
   * paired keys and enforces their roles. 'none' is for debugging only and is warned about at every start.
   */
  security: Type.Union([Type.Literal('curve'), Type.Literal('none')], { default: 'curve' }),
  /** the NUC's bus keys: its key pair, the allow-list, and the keys of its own services and simulated cars; empty: `<dataDir>/keys/bus` */
  keysDir: Type.String({ default: '' }),
  /**
   * A client key directory written by `npm run bus -- pair … --out <dir>` (client.secret, client.public,
   * nuc.public): a car or tool on another host connects with it. Empty: the keys npm start pairs itself.
   */
  clientKeys: Type.String({ default: '' }),
  /** messages larger than this are refused at the socket and dropped and counted (a 640x480 JPEG is ~50 KB) */
  maxPayloadBytes: Type.Integer({ minimum: 1024, maximum: 256 * 1024 * 1024, default: 1024 * 1024 }),
  /** frames queued per subscriber before newer ones drop; small so video never lags */
  frameSendHighWaterMark: Type.Integer({ minimum: 1, maximum: 1000, default: 4 }),
  /** the NUC proxy's queue per subscriber, in messages and in bytes (the smaller bound wins) */
  proxyQueueMessages: Type.Integer({ minimum: 8, maximum: 100_000, default: 1000 }),
  proxyQueueBytes: Type.Integer({ minimum: 1024 * 1024, maximum: 4 * 1024 * 1024 * 1024, default: 128 * 1024 * 1024 }),
  /** release hints (`nuc/ota/release`) closer together than this are dropped by the NUC proxy */
  releaseHintIntervalMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 1000 }),
  /** how often every service publishes its metrics */
  metricsIntervalMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000 }),
});

export const CompositorSchema = Section({
  /** a background from the library (built in: mountains, neon-grid, stadium, or an uploaded one) */
  background: Type.String({ default: 'mountains' }),
  /** background pixels moved per frame at full steering lock */
  panScale: Type.Number({ minimum: 0, maximum: 200, default: 6 }),
  filter: Type.Union([Type.Literal('none'), Type.Literal('grayscale'), Type.Literal('sepia'), Type.Literal('vignette')], { default: 'none' }),
  jpegQuality: Type.Integer({ minimum: 10, maximum: 100, default: 80 }),
  /**
   * Who composites the audience view's video: 'browser' (each browser keys the raw camera frames on its
   * GPU, and falls back to the server's composite without WebGL) or 'server' (always the server's).
   */
  audienceVideo: Type.Union([Type.Literal('browser'), Type.Literal('server')], { default: 'browser' }),
});

/** The shared track and race control (nuc/track): every car's pose relayed to every car, and races. */
export const RaceSchema = Section({
  /** how often `nuc/track/poses` goes out (cars draw each other and detect contact from it) */
  posesHz: Type.Integer({ minimum: 20, maximum: 100, default: 20 }),
  /** time between two start lights, and from the fifth to lights out */
  lightMs: Type.Integer({ minimum: 100, maximum: 5000, default: 1000 }),
  /** how long the other cars have to finish after the winner */
  finishGraceMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 60_000 }),
  /** the minimum plausible lap: a crossing sooner than this after the car's last counted one makes no lap */
  minLapMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 3000 }),
  /** penalties in seconds: added to a car's race time, or to the time-trial lap they were given in */
  penalties: Section({
    reset: Type.Number({ minimum: 0, maximum: 600, default: 2 }),
    offTrack: Type.Number({ minimum: 0, maximum: 600, default: 1 }),
    contact: Type.Number({ minimum: 0, maximum: 600, default: 5 }),
    jumpStart: Type.Number({ minimum: 0, maximum: 600, default: 5 }),
  }),
});

/**
 * The timing gate (nuc/timing): a start/finish sensor on a GPIO line read through the kernel's GPIO
 * character device, and the simulated cars' line crossings, both published as `nuc/timing/crossing`.
 */
export const TimingSchema = Section({
  /** the gate id every crossing of this service carries (one service per gate) */
  gate: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', default: 'line' }),
  /** the simulated cars' line crossings (from their telemetry at the NUC) come out as crossings with source 'sim' */
  sim: Type.Boolean({ default: true }),
  /** the sensor: off until an organiser wires one */
  gpio: Section({
    enabled: Type.Boolean({ default: false }),
    /** the GPIO chip: a /dev/gpiochipN path or its name (gpiochip0 on a Pi 3/4/5 with a current kernel) */
    chip: Type.String({ pattern: '^(/dev/)?gpiochip[0-9]{1,3}$', default: '/dev/gpiochip0' }),
    /** the line's offset on the chip (on a Pi, the BCM GPIO number: 17 is header pin 11) */
    line: Type.Integer({ minimum: 0, maximum: 511, default: 17 }),
    /** the line's level while a car is in the beam or on the strip: 'low' for a break-beam receiver or a switch to ground with a pull-up */
    active: Type.Union([Type.Literal('low'), Type.Literal('high')], { default: 'low' }),
    /** the line's bias: the SoC's internal pull-up suits an open-collector receiver or a switch to ground */
    bias: Type.Union([Type.Literal('pull-up'), Type.Literal('pull-down'), Type.Literal('disabled'), Type.Literal('as-is')], { default: 'pull-up' }),
    /** a new crossing needs the line quiet (inactive) this long before it: bounces, a car's axles and flicker inside it are one crossing */
    debounceMs: Type.Integer({ minimum: 1, maximum: 10_000, default: 200 }),
    /** crossings beyond this many in a minute are refused and counted (a faulty or flooded sensor) */
    maxPerMinute: Type.Integer({ minimum: 1, maximum: 6000, default: 120 }),
  }),
  /**
   * Which car crossed when the sensor cannot tell (a plain beam with several cars on the track):
   * 'nearest' names the car whose last known pose (the shared track's) puts it at the line, alone;
   * 'none' leaves every sensor crossing for race control or the timekeeper to assign.
   */
  assign: Type.Union([Type.Literal('nearest'), Type.Literal('none')], { default: 'nearest' }),
  /** 'nearest': a car counts as at the line within this many metres of it (along the track) */
  assignWithinM: Type.Number({ minimum: 0.05, maximum: 20, default: 1 }),
});

/** A simulator track by name, or the path of a track file (the simulator's JSON format). */
const TrackRef = Type.String({ minLength: 1, maxLength: 512 });

/** Background training on the NUC (nuc/training): a model per finished recording session, or on request. */
export const TrainingSchema = Section({
  /** train a candidate model when a recording session ends */
  autoTrain: Type.Boolean({ default: true }),
  kind: Type.Union([Type.Literal('linear'), Type.Literal('fast'), Type.Literal('categorical'), Type.Literal('memory')], { default: 'fast' }),
  /** rows removed from the top and bottom of every frame before the model sees it (Donkeycar's ROI crop) */
  crop: Section({
    top: Type.Integer({ minimum: 0, maximum: 4096, default: 0 }),
    bottom: Type.Integer({ minimum: 0, maximum: 4096, default: 0 }),
  }),
  /** at most this many epochs (early stopping usually ends sooner) */
  epochs: Type.Integer({ minimum: 1, maximum: 1000, default: 30 }),
  /**
   * the learning rate: `constant` is Donkeycar's Adam 1e-3; `cosine` falls from 2e-3 over `epochs`,
   * fewer epochs for long recordings (minutes of laps), too few steps for short ones
   */
  schedule: Type.Union([Type.Literal('constant'), Type.Literal('cosine')], { default: 'constant' }),
  batchSize: Type.Integer({ minimum: 1, maximum: 4096, default: 128 }),
  /** a finished session with fewer usable records is not trained on (and the job list says so) */
  minRecords: Type.Integer({ minimum: 2, maximum: 1_000_000, default: 100 }),
  /** closed-loop evaluation: laps per track, and simulated seconds per lap before giving up */
  evalLaps: Type.Integer({ minimum: 1, maximum: 100, default: 2 }),
  evalSecondsPerLap: Type.Number({ exclusiveMinimum: 0, maximum: 3600, default: 30 }),
  /** the tracks every model is evaluated on: the simulator's (default, twisty) or track files */
  evalTracks: Type.Array(TrackRef, { minItems: 1, maxItems: 8, default: ['default', 'twisty'] }),
  /** what an evaluated model must do to become a candidate that may ship without an override */
  gate: Section({
    /** clean laps (never off the road) each gated track needs, of evalLaps */
    minCleanLaps: Type.Integer({ minimum: 0, maximum: 100, default: 1 }),
    /** a run that ended with the car off the road rejects the model */
    rejectOffTrack: Type.Boolean({ default: true }),
    /** the tracks the gate checks (names or track files; evaluated too if not in evalTracks); empty: every evaluation track */
    tracks: Type.Array(TrackRef, { maxItems: 8, default: [] }),
  }),
  /** a tub untouched this long, with its car no longer recording, counts as closed */
  tubQuietMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 5000 }),
  pollMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),
  /**
   * The training worker's CPU priority (a Unix nice value): 10 leaves the NUC's live services (video,
   * control, a simulated car) their CPU; 0 trains as fast as anything else on the machine.
   */
  nice: Type.Integer({ minimum: 0, maximum: 19, default: 10 }),
});

export const NucSchema = Section({
  /** the address cars use to reach the NUC's bus */
  host: Type.String({ minLength: 1, default: '127.0.0.1' }),
  /** the interface the NUC's bus proxy and HTTP server listen on */
  bindAddress: Type.String({ minLength: 1, default: '0.0.0.0' }),
  httpPort: { ...Port, default: 8080 },
  /**
   * Needed for control actions (mode, estop, recording, settings) from the dashboard and API; watching
   * needs none. Empty: a random token is generated at start and printed. At least 16 characters.
   */
  token: Type.String({ maxLength: 256, default: '' }),
  /**
   * HTTPS for the dashboard, the API and `/ota`: PEM files. Both empty: plain HTTP. The cars' agents
   * then fetch over HTTPS and must trust the certificate (npm start passes it as NODE_EXTRA_CA_CERTS).
   */
  tls: Section({
    cert: Type.String({ default: '' }),
    key: Type.String({ default: '' }),
  }),
  /**
   * Cars the NUC accepts besides the ones `npm start` runs (`launcher.cars`), e.g. real cars on the
   * track. Messages from any other car id are dropped and counted (`unknown_car`).
   */
  cars: Type.Array(Id, { default: [], maxItems: 256 }),
  /** what the NUC keeps about a car (video, pipelines, recorder session, state) is forgotten once it has been silent this long */
  carExpiryS: Type.Integer({ minimum: 5, maximum: 86_400, default: 300 }),
  compositor: CompositorSchema,
  race: RaceSchema,
  timing: TimingSchema,
  training: TrainingSchema,
  /** the recording helpers, as Donkeycar has them */
  recorder: Section({
    /** record a frame only while the throttle is applied (Donkeycar's AUTO_RECORD_ON_THROTTLE): no tub full of the car standing still */
    onThrottle: Type.Boolean({ default: false }),
    /** "erase the last N seconds" (wheel button, driver's screen): the wheel button's N */
    eraseSeconds: Type.Integer({ minimum: 1, maximum: 60, default: 5 }),
  }),
  /** XSUB side: publishers connect here */
  busPublishersPort: { ...Port, default: 5560 },
  /** XPUB side: subscribers connect here */
  busSubscribersPort: { ...Port, default: 5559 },
});

export const I2cSchema = Section({
  /** 'sim' for the simulator's emulated PCA9685, or the Linux bus number (1 on a Raspberry Pi) */
  bus: Type.Union([Type.Literal('sim'), Type.Integer({ minimum: 0, maximum: 255 })], { default: 'sim' }),
  address: Type.Integer({ minimum: 0x03, maximum: 0x77, default: 0x40 }),
});

export const ActuatorSchema = Section({
  failsafeMs: Type.Integer({ minimum: 20, maximum: 5000, default: 250 }),
  /** calibrating from the dashboard: how far from neutral (in counts) the throttle channel may be moved */
  calibrationThrottleCap: Type.Integer({ minimum: 0, maximum: 1000, default: 80 }),
  frequencyHz: Type.Integer({ minimum: 24, maximum: 1526, default: 60 }),
  steering: Section({
    channel: { ...Channel, default: 1 },
    leftCount: { ...Count12, default: 460 },
    rightCount: { ...Count12, default: 290 },
  }),
  throttle: Section({
    channel: { ...Channel, default: 0 },
    forwardCount: { ...Count12, default: 500 },
    stoppedCount: { ...Count12, default: 370 },
    reverseCount: { ...Count12, default: 220 },
  }),
});

export const CameraSchema = Section({
  source: Type.Union([Type.Literal('sim'), Type.Literal('mjpeg'), Type.Literal('replay')], { default: 'sim' }),
  width: Type.Integer({ minimum: 16, maximum: 4096, default: 640 }),
  height: Type.Integer({ minimum: 16, maximum: 4096, default: 480 }),
  fps: Type.Number({ exclusiveMinimum: 0, maximum: 120, default: 30 }),
  jpegQuality: Type.Integer({ minimum: 10, maximum: 100, default: 80 }),
  /** for `mjpeg`: the command printing an MJPEG stream on stdout, as an argv array */
  command: Type.Array(Type.String(), { default: ['libcamera-vid', '-t', '0', '--codec', 'mjpeg', '-o', '-'] }),
  /** for `replay`: a folder of JPEGs or a tub */
  replayPath: Type.String({ default: '' }),
  replayLoop: Type.Boolean({ default: true }),
});

export const DriveSchema = Section({
  /** Donkeycar's drive loop runs at 20 Hz */
  rateHz: Type.Number({ minimum: 1, maximum: 120, default: 20 }),
  /**
   * the start mode; unset: `local` in the simulator (the demo starts with the expert driving), `user`
   * with real hardware (`i2c.bus` a number), so a real car never drives off by itself after a restart
   */
  mode: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('local_angle'), Type.Literal('local')])),
  /**
   * what the pilot does in `local_angle` / `local` while the link to the NUC is down: `continue`
   * driving its own loop, or `stop` (throttle 0); unset: `continue` in the simulator, `stop` with real hardware
   */
  onLinkLoss: Type.Optional(Type.Union([Type.Literal('continue'), Type.Literal('stop')])),
  /** the pilot used in local_angle / local modes: 'expert' (simulator only) or a model directory */
  pilot: Type.String({ default: 'expert' }),
  /** user control older than this counts as gone: throttle 0 */
  userTimeoutMs: Type.Integer({ minimum: 50, maximum: 10_000, default: 500 }),
});

export const SimSchema = Section({
  track: Type.String({ default: 'default' }),
  seed: Type.Integer({ default: 1 }),
  physicsHz: Type.Integer({ minimum: 20, maximum: 1000, default: 100 }),
  /** the simulated LiPo pack the emulated INA219 measures: it drains with throttle */
  battery: Section({
    cells: Type.Integer({ minimum: 1, maximum: 6, default: 2 }),
    capacityMah: Type.Number({ minimum: 1, maximum: 100_000, default: 2200 }),
    /** charge at start, 0..1 */
    startCharge: Type.Number({ minimum: 0, maximum: 1, default: 1 }),
  }),
});

/**
 * The battery gauge: an INA219 on the car's I2C bus (the same bus as the PCA9685), read by the
 * actuator and shown on the driver's screen. The simulator emulates one at this address.
 */
export const BatterySchema = Section({
  enabled: Type.Boolean({ default: true }),
  /** the INA219's 7-bit address (A0/A1 jumpers: 0x40..0x4F); 0x40 is usually the PCA9685's */
  address: Type.Integer({ minimum: 0x40, maximum: 0x4f, default: 0x41 }),
  /** the shunt resistor, Ω (0.1 on the common breakout boards) */
  shuntOhms: Type.Number({ exclusiveMinimum: 0, maximum: 10, default: 0.1 }),
  /** the largest current expected through the shunt, A: sets the INA219's current LSB and gain */
  maxCurrentA: Type.Number({ exclusiveMinimum: 0, maximum: 400, default: 3.2 }),
  /** the INA219's bus voltage range */
  busRangeV: Type.Union([Type.Literal(16), Type.Literal(32)], { default: 32 }),
  sampleMs: Type.Integer({ minimum: 100, maximum: 10_000, default: 500 }),
  /** the driver is warned when the battery's voltage (averaged over the last 2 s) falls below this; 6.6 V is 3.3 V a cell for a 2S LiPo */
  lowVolts: Type.Number({ minimum: 0, maximum: 32, default: 6.6 }),
  /** the warning clears only once the voltage is this far back above lowVolts (a battery recovers at rest) */
  hysteresisVolts: Type.Number({ minimum: 0, maximum: 5, default: 0.2 }),
});

/** The car's update agent (car/agent): it runs the updatable services and installs releases. */
export const AgentSchema = Section({
  /** false: the launcher runs actuator, camera and pilot itself and nothing is updated */
  enabled: Type.Boolean({ default: true }),
  /** how often the NUC's update repository is polled */
  pollMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 1000 }),
  /**
   * The root.json the car trusts (pairing a car writes it beside its keys). Empty: a simulated car
   * trusts `<dataDir>/ota/repository/metadata/1.root.json` (the all-in-one demo); a car with real
   * hardware (`car.i2c.bus` a number) installs nothing until this is set.
   */
  trustedRoot: Type.String({ default: '' }),
  /** release hints wake the agent's poll at most this often (a hint flood cannot make it poll more) */
  minHintIntervalMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 1000 }),
  /** how long a new version has to report ready before it is rolled back */
  healthTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
  /** a stopped service gets this long after SIGTERM before SIGKILL */
  stopTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 6000 }),
  /** an update step's I/O (free space, staging, a service start or stop, the generation switch) that takes longer fails */
  stepTimeoutMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 60_000 }),
  /** how long the car must stay at rest before the actuator or camera (they own a device) is replaced */
  stoppedForMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 1000 }),
  /**
   * when an installed OS update may reboot the car: `at-rest` once the car has been stopped with no
   * driver input for osRestS; `operator` only once the NUC's release hint lists this car (the
   * "reboot into the new OS" button on /fleet)
   */
  osReboot: Type.Union([Type.Literal('at-rest'), Type.Literal('operator')], { default: 'at-rest' }),
  /** seconds the car must stand still with no driver input before an at-rest OS reboot */
  osRestS: Type.Number({ minimum: 0, maximum: 3600, default: 10 }),
  /** seconds a freshly booted OS has to be healthy (services ready, bus link up, drive loop at its rate) before it is marked bad */
  osHealthS: Type.Number({ minimum: 5, maximum: 3600, default: 300 }),
  /** the RAUC command line tool (tests point it to a simulated one) */
  rauc: Type.String({ minLength: 1, maxLength: 4096, default: 'rauc' }),
  /**
   * the OS update folder on the data partition (bundles, trial marker `trial.json`, the reboot
   * request, the last outcome); empty: `<dataDir>/os`, the folder the image's reboot path unit watches
   */
  osDir: Type.String({ maxLength: 4096, default: '' }),
  /**
   * the loopback port the agent serves a chunked OS bundle's chunks on during its install; it must be
   * the one the image's RAUC system.conf names (`[casync] storepath`, OS_CHUNK_PROXY_PORT); 0 picks a
   * free port (tests with a simulated RAUC)
   */
  osChunkPort: Type.Integer({ minimum: 0, maximum: 65535, default: OS_CHUNK_PROXY_PORT }),
});

/** The car's link to the NUC (car/uplink). */
export const UplinkSchema = Section({
  /**
   * TCP connections to the NUC that each carry this car's control; the first copy to arrive is
   * applied, so a segment lost on one connection holds back only that one (a lost segment costs a
   * retransmission, 200 ms at least). Each lane adds one control stream's bytes (see README).
   */
  controlLanes: Type.Integer({ minimum: 1, maximum: 4, default: 3 }),
});

export const CarSchema = Section({
  i2c: I2cSchema,
  actuator: ActuatorSchema,
  camera: CameraSchema,
  drive: DriveSchema,
  sim: SimSchema,
  agent: AgentSchema,
  uplink: UplinkSchema,
  battery: BatterySchema,
});

/** The talk's top speed unit: throttle is clipped to topSpeed / 80. */
export const TOP_SPEED_FULL = 80;

const ButtonList = (names: string[], description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { maxItems: 16, default: names, description });

/** The wheel buttons (by profile name) bound to each action. */
export const WheelButtonsSchema = Type.Object(
  {
    cycleMode: ButtonList(['north'], 'cycle the drive mode: user → local_angle → local'),
    toggleRecording: ButtonList(['west'], 'start / stop recording a tub'),
    estop: ButtonList(['east'], 'latch the emergency stop; press again to clear it'),
    topSpeedUp: ButtonList(['dpad_up'], 'raise topSpeed by topSpeedStep'),
    topSpeedDown: ButtonList(['dpad_down'], 'lower topSpeed by topSpeedStep'),
    trimLeft: ButtonList(['dpad_left'], 'steeringVeer -= trimStep'),
    trimRight: ButtonList(['dpad_right'], 'steeringVeer += trimStep'),
    resetCar: ButtonList(['south'], 'simulator: put the car back on the track (nearest point of the centre line, stopped)'),
    eraseRecords: ButtonList(['select'], "erase the last nuc.recorder.eraseSeconds of the car's recording (the tub's deleted_indexes)"),
  },
  { ...strict, default: {} },
);

/** The talk's steering and throttle curves (nuc/wheel/mapping.ts), changeable live. */
export const WheelMappingSchema = Type.Object(
  {
    steeringScale: Type.Number({ exclusiveMinimum: 0, maximum: 8, default: 1, description: 'talk: steering_scale' }),
    steeringVeer: Type.Number({ minimum: -0.5, maximum: 0.5, default: 0, description: 'talk: steering_veer (trim)' }),
    steeringRange: Type.Number({ minimum: 0.05, maximum: 1, default: 1, description: 'talk: steering_range' }),
    throttleScale: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'talk: throttle_scale' }),
    throttleBase: Type.Number({ minimum: 0.001, maximum: 0.99, default: 0.03, description: 'base of the negative exponential' }),
    topSpeed: Type.Number({ minimum: 0, maximum: TOP_SPEED_FULL, default: 40, description: 'talk: top_speed; throttle ≤ topSpeed/80' }),
    topSpeedStep: Type.Number({ minimum: 0.5, maximum: 40, default: 4 }),
    trimStep: Type.Number({ minimum: 0.001, maximum: 0.1, default: 0.01 }),
    /** pedal travel at or below this counts as released (a released 8-bit pedal reads real = 1/256) */
    pedalDeadzone: Type.Number({ minimum: 0, maximum: 0.3, default: 0.02 }),
    /** 'brake': brake pedal → negative throttle (brakeScale × travel), overriding the gas;
     *  'reverse': brake pedal drives backwards on the throttle curve × reverseScale; 'ignore': unused */
    brakeMode: Type.Union([Type.Literal('brake'), Type.Literal('reverse'), Type.Literal('ignore')], { default: 'brake' }),
    brakeScale: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
    reverseScale: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
    /** override a profile's pedal direction if a wheel's pedals read backwards */
    pedalPolarity: Type.Union([Type.Literal('profile'), Type.Literal('normal'), Type.Literal('inverted')], {
      default: 'profile',
    }),
    buttons: WheelButtonsSchema,
  },
  { ...strict, default: {} },
);

const Byte = Type.Integer({ minimum: 0, maximum: 255 });
const FieldSize = Type.Union([Type.Literal(8), Type.Literal(16)]);
const Raw = Type.Integer({ minimum: 0, maximum: 65535 });

export const SteeringCalibrationSchema = Type.Object({ offset: Byte, size: FieldSize, left: Raw, center: Raw, right: Raw }, strict);
export const PedalCalibrationSchema = Type.Object({ offset: Byte, size: FieldSize, released: Raw, pressed: Raw }, strict);

/** Where a generic HID wheel's steering, pedals and buttons sit in its report (written by its guided calibration, nuc/wheel/calibration.ts). */
export const GenericCalibrationSchema = Type.Object(
  {
    vendorId: Raw,
    productId: Raw,
    /** state reports are this long; other lengths are other reports */
    reportLength: Type.Integer({ minimum: 1, maximum: 1024 }),
    /** byte 0 of state reports, when the device numbers its reports */
    reportId: Type.Optional(Byte),
    steering: SteeringCalibrationSchema,
    throttle: PedalCalibrationSchema,
    brake: Type.Optional(PedalCalibrationSchema),
    clutch: Type.Optional(PedalCalibrationSchema),
    /** buttons b0, b1, ... in order: a bit of the report and its value at rest */
    buttons: Type.Array(Type.Object({ bit: Type.Integer({ minimum: 0 }), rest: Type.Boolean() }, strict), {
      maxItems: 64,
    }),
  },
  strict,
);

/** The race wheel (nuc/wheel): which device, how it is set up at start, and the mapping. */
export const WheelConfigSchema = Type.Object(
  {
    /**
     * 'auto': the first supported USB wheel (or the calibrated generic device), 'virtual': no USB, the
     * demo's programmatic wheel and the browser, 'none': browser only, or a 'vvvv:pppp' hex id.
     */
    device: Type.Union([Type.Literal('auto'), Type.Literal('virtual'), Type.Literal('none'), Type.String({ pattern: '^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$' })], {
      default: 'virtual',
    }),
    /** lock-to-lock rotation set on the wheel at start, where the wheel has a documented command */
    rangeDegrees: Type.Integer({ minimum: 40, maximum: 1080, default: 900 }),
    /** centring spring set at start: 0 off .. 1 strongest */
    autocenter: Type.Number({ minimum: 0, maximum: 1, default: 0.3 }),
    /** how often the USB device list is checked for a plugged / unplugged wheel */
    pollMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000 }),
    mapping: WheelMappingSchema,
    /** written by the guided calibration of a generic device */
    calibration: Type.Optional(GenericCalibrationSchema),
  },
  { ...strict, default: {} },
);

/** The race wheel on the NUC and the car it drives (one wheel per car). */
export const WheelSchema = Type.Object(
  { ...WheelConfigSchema.properties, car: { ...Id, default: '1' } },
  { ...strict, default: {} },
);

export const LauncherSchema = Section({
  /** the simulated cars `npm start` runs beside the NUC */
  cars: Type.Array(Id, { default: ['1'], maxItems: 16 }),
  /**
   * how the car's services run: `bundle` (built from the sources when they changed, run with plain
   * node: what fits a Raspberry Pi), or `source` (TypeScript through tsx in every process, for debugging)
   */
  carRuntime: Type.Union([Type.Literal('bundle'), Type.Literal('source')], { default: 'bundle' }),
  restartInitialMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 500 }),
  restartMaxMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
});

export const PlatformConfigSchema = Type.Object(
  {
    /** everything a run writes: tubs, models, update repository, car slots, the NUC database */
    dataDir: Type.String({ minLength: 1, default: './data' }),
    log: LogSchema,
    bus: BusSchema,
    nuc: NucSchema,
    car: CarSchema,
    wheel: WheelSchema,
    launcher: LauncherSchema,
  },
  strict,
);

export type PlatformConfig = Static<typeof PlatformConfigSchema>;
export type BusConfig = PlatformConfig['bus'];

/** A configured control token must be at least this long (generated ones are 16 characters of base64url). */
export const MIN_TOKEN_LENGTH = 16;
export type CarConfig = PlatformConfig['car'];
export type DriveConfig = CarConfig['drive'];
export type AgentConfig = CarConfig['agent'];
export type NucConfig = PlatformConfig['nuc'];
export type TrainingConfig = NucConfig['training'];
export type TimingConfig = NucConfig['timing'];
export type WheelConfig = Static<typeof WheelConfigSchema>;
export type WheelMappingConfig = Static<typeof WheelMappingSchema>;
export type WheelButtonsConfig = Static<typeof WheelButtonsSchema>;
export type GenericCalibration = Static<typeof GenericCalibrationSchema>;
