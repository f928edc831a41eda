/**
 * The uplink bridge between a car's local bus and the NUC: the car's frames, telemetry, agent
 * reports and metrics go up; control, resets, the shared track and the update repository's hint come down. Messages are validated on the way (a malformed one
 * is dropped and counted, not carried across the network) and forwarded as received, without
 * re-encoding (on a secured NUC bus, sealed with the car's key on the way up). ZeroMQ reconnects on
 * its own, so a NUC restart or a network gap needs nothing here: while the NUC is gone, upward
 * messages are dropped and the car-local bus goes on. The bridge tells the car whether the NUC is
 * there (`car/<id>/link`, on every change and every second), so the pilot can apply
 * `car.drive.onLinkLoss`. Control comes down on `controlLanes` connections at once, merged so each
 * command is applied once, at its first copy, never after a newer one (control-lanes.ts): a segment
 * lost on one TCP connection then holds back only that connection.
 */
import { BusCounters, BusPublisher, BusSubscriber, carTopic, nucTopic, type BusEndpoints, type BusLogger, type BusMessage, type MessageKind } from '../../protocol/index.ts';
import { ControlLanes, type ControlLaneCounters } from './control-lanes.ts';

export const UPLINK_UP_KINDS: readonly MessageKind[] = ['frame', 'telemetry', 'agent', 'metrics'];
/** NUC → this car: control, calibration, and a reset to the track or grid (the simulator's; a real car has none to obey it). */
export const UPLINK_DOWN_KINDS: readonly MessageKind[] = ['control', 'calibrate', 'reset'];
/** how often the link state is repeated on the car-local bus */
export const LINK_REPORT_MS = 1000;
/** NUC topics every car gets: the update repository's hint to pull now, and the shared track (poses, race). */
export const UPLINK_DOWN_NUC_TOPICS: readonly string[] = [nucTopic('ota', 'release'), nucTopic('track', 'poses')];

export interface UplinkOptions {
  carId: string;
  car: BusEndpoints;
  nuc: BusEndpoints;
  /** frames queued towards the NUC before newer ones drop */
  frameSendHighWaterMark: number;
  /** TCP connections to the NUC that each carry this car's control (1: only the main one) */
  controlLanes?: number;
  counters?: BusCounters;
  log?: BusLogger;
  /** the service's guard: what a bridge handler throws is caught, logged and counted */
  wrap?: (loop: string, fn: (message: BusMessage) => unknown) => (message: BusMessage) => void;
}

export interface Uplink {
  readonly counters: BusCounters;
  /** whether the subscription to the NUC is connected now */
  readonly linkUp: boolean;
  /** how the control lanes' copies were merged */
  readonly controlLanes: Readonly<ControlLaneCounters>;
  close(): Promise<void>;
}

export function startUplink(options: UplinkOptions): Uplink {
  const counters = options.counters ?? new BusCounters();
  const common = { counters, ...(options.log ? { log: options.log } : {}) };
  const topics = (kinds: readonly MessageKind[]): string[] => kinds.map((kind) => carTopic(options.carId, kind));

  // Frames get their own socket with a small queue so video can never hold back telemetry.
  const framesUp = BusPublisher.connect(options.nuc, { sendHighWaterMark: options.frameSendHighWaterMark, counters });
  const othersUp = BusPublisher.connect(options.nuc, { counters });
  const fromCar = BusSubscriber.connect(options.car, { topics: topics(UPLINK_UP_KINDS), ...common });
  const wrap = options.wrap ?? ((_loop, fn) => fn);
  fromCar.on(
    wrap('bus_handler', (message) => {
      const target = message.kind === 'frame' ? framesUp : othersUp;
      return target.sendRaw(message.parts);
    }),
  );

  const toCar = BusPublisher.connect(options.car, { counters });
  const fromNuc = BusSubscriber.connect(options.nuc, { topics: [...topics(UPLINK_DOWN_KINDS), ...UPLINK_DOWN_NUC_TOPICS], watchConnections: true, ...common });
  // lane 0 is the main subscription; the others carry only control
  const controlTopic = carTopic(options.carId, 'control');
  const extraLanes = Array.from({ length: (options.controlLanes ?? 1) - 1 }, () => BusSubscriber.connect(options.nuc, { topics: [controlTopic], ...common }));
  const lanes = new ControlLanes({ lanes: extraLanes.length + 1 });
  const fromLane = (lane: number) => (message: BusMessage) => {
    if (message.kind !== 'control') return toCar.sendRaw(message.parts);
    // a copy is the same topic and header, byte for byte (the sender's seq and ts tell commands apart)
    const id = `${message.parts[0]!.toString('latin1')}\n${message.parts[1]!.toString('latin1')}`;
    if (lanes.take(lane, id, performance.now(), message.header.estop === true) !== 'forward') return undefined;
    return toCar.sendRaw(message.parts);
  };
  for (const [lane, subscriber] of [fromNuc, ...extraLanes].entries()) subscriber.on(wrap('bus_handler', fromLane(lane)));

  // The NUC is there while the subscription to it is connected (heartbeats end a silent one).
  const link = { up: false, since: Date.now() };
  const linkTopic = carTopic(options.carId, 'link');
  const reportLink = (): void => {
    toCar.send(linkTopic, { up: link.up, since: link.since }).catch((error: unknown) => options.log?.warn({ err: error }, 'link report not sent'));
  };
  const stopWatching = fromNuc.onConnection((connected) => {
    if (connected === link.up) return;
    link.up = connected;
    link.since = Date.now();
    options.log?.warn({ up: connected }, connected ? 'link to the NUC is up' : 'link to the NUC lost');
    reportLink();
  });
  const linkTimer = setInterval(reportLink, LINK_REPORT_MS);

  return {
    counters,
    get linkUp() {
      return link.up;
    },
    controlLanes: lanes.counters,
    async close() {
      clearInterval(linkTimer);
      stopWatching();
      await Promise.all([fromCar.close(), fromNuc.close(), ...extraLanes.map((lane) => lane.close())]);
      await Promise.all([framesUp.close(), othersUp.close(), toCar.close()]);
    },
  };
}
