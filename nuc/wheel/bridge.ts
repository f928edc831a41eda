/**
 * Connects a wheel to the bus: every input report becomes a `car/<id>/control` at the wheel's own
 * report rate. Mode, recording and estop go out only when they change (see control-flags.ts), and
 * the car's telemetry keeps the mapper's copy of them current when another input changed them.
 * The reset and erase buttons are events: each press sends one `car/<id>/reset` or `car/<id>/erase`.
 */
import { carTopic, type BusPublisher, type HeaderOf } from '../../protocol/index.ts';
import type { WheelConfig } from '../../runtime/index.ts';
import { changedFlags } from './control-flags.ts';
import type { HidBackend } from './hid-backend.ts';
import { ControlMapper, type MapperState } from './mapper.ts';
import { createNodeHidBackend } from './node-hid-backend.ts';
import type { WheelControl } from './types.ts';
import { VirtualWheel } from './virtual.ts';

/** nuc.recorder.eraseSeconds's default: Donkeycar's button erases 100 records, 5 s at 20 Hz */
const DEFAULT_ERASE_SECONDS = 5;
import { WheelInput, type WheelStatus } from './wheel-input.ts';

export interface WheelBridgeOptions {
  carId: string;
  config: WheelConfig;
  publisher: BusPublisher;
  /** overrides node-hid (tests and benchmarks inject recorded reports) */
  backend?: HidBackend;
  onStatus?: (status: WheelStatus) => void;
  /** the erase button erases this many seconds of the recording (nuc.recorder.eraseSeconds) */
  eraseSeconds?: number;
}

export interface WheelBridge {
  readonly mapper: ControlMapper;
  /** the demo's programmatic wheel (always available) */
  readonly virtual: VirtualWheel;
  /** the USB wheel watcher, unless the device is 'virtual' or 'none' */
  readonly input: WheelInput | undefined;
  /** the car's reported state: adopt it so the next button press acts on what the car really does */
  syncFromTelemetry(telemetry: HeaderOf<'telemetry'>): void;
  stop(): Promise<void>;
}

export async function startWheelBridge(options: WheelBridgeOptions): Promise<WheelBridge> {
  const { config, publisher } = options;
  const topic = carTopic(options.carId, 'control');
  const resetTopic = carTopic(options.carId, 'reset');
  const eraseTopic = carTopic(options.carId, 'erase');
  const mapper = new ControlMapper(config.mapping);
  let sent: MapperState | undefined;

  const publish = (control: WheelControl): void => {
    const state = { mode: control.mode, recording: control.recording, estop: control.estop };
    const changes = changedFlags(sent, state);
    sent = state;
    void publisher.send(topic, { angle: control.angle, throttle: control.throttle, input: control.input, ...changes });
    if (control.reset) void publisher.send(resetTopic, { to: 'track' });
    if (control.erase) void publisher.send(eraseTopic, { seconds: options.eraseSeconds ?? DEFAULT_ERASE_SECONDS });
  };

  const virtual = new VirtualWheel(mapper, publish);
  let input: WheelInput | undefined;
  if (config.device !== 'virtual' && config.device !== 'none') {
    input = new WheelInput({
      backend: options.backend ?? (() => createNodeHidBackend()),
      mapper,
      onControl: publish,
      device: config.device,
      init: { rangeDegrees: config.rangeDegrees, autocenter: config.autocenter },
      pollMs: config.pollMs,
      ...(config.calibration ? { calibration: config.calibration } : {}),
      ...(options.onStatus ? { onStatus: options.onStatus } : {}),
    });
    await input.start();
  }

  return {
    mapper,
    virtual,
    input,
    syncFromTelemetry(telemetry) {
      const state = mapper.state;
      if (telemetry.mode !== state.mode) mapper.setMode(telemetry.mode);
      if (telemetry.recording !== undefined && telemetry.recording !== state.recording) mapper.setRecording(telemetry.recording);
      if (telemetry.estop !== undefined && telemetry.estop !== state.estop) mapper.setEstop(telemetry.estop);
      // What the car reports is what was sent, as far as change detection is concerned.
      sent = mapper.state;
    },
    async stop() {
      await input?.stop();
    },
  };
}
