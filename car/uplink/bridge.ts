/**
 * The uplink bridge between a car's local bus and the NUC: the car's frames, telemetry, agent
 * reports and metrics go up; control and the update repository's hint come down. Messages are validated on the way (a malformed one
 * is dropped and counted, not carried across the network) and forwarded as received, without
 * re-encoding (on a secured NUC bus, sealed with the car's key on the way up). ZeroMQ reconnects on its own, so a NUC restart or a network gap needs nothing here:
 * while the NUC is gone, upward messages are dropped and the car-local bus goes on.
 */
import { BusCounters, BusPublisher, BusSubscriber, carTopic, nucTopic, type BusEndpoints, type BusLogger, type MessageKind } from '../../protocol/index.ts';

export const UPLINK_UP_KINDS: readonly MessageKind[] = ['frame', 'telemetry', 'agent', 'metrics'];
export const UPLINK_DOWN_KINDS: readonly MessageKind[] = ['control'];
/** NUC topics every car gets: the update repository's hint to pull now. */
export const UPLINK_DOWN_NUC_TOPICS: readonly string[] = [nucTopic('ota', 'release')];

export interface UplinkOptions {
  carId: string;
  car: BusEndpoints;
  nuc: BusEndpoints;
  /** frames queued towards the NUC before newer ones drop */
  frameSendHighWaterMark: number;
  counters?: BusCounters;
  log?: BusLogger;
}

export interface Uplink {
  readonly counters: BusCounters;
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
  fromCar.on((message) => {
    const target = message.kind === 'frame' ? framesUp : othersUp;
    void target.sendRaw(message.parts);
  });

  const toCar = BusPublisher.connect(options.car, { counters });
  const fromNuc = BusSubscriber.connect(options.nuc, { topics: [...topics(UPLINK_DOWN_KINDS), ...UPLINK_DOWN_NUC_TOPICS], ...common });
  fromNuc.on((message) => void toCar.sendRaw(message.parts));

  return {
    counters,
    async close() {
      await Promise.all([fromCar.close(), fromNuc.close()]);
      await Promise.all([framesUp.close(), othersUp.close(), toCar.close()]);
    },
  };
}
