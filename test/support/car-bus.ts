/**
 * Test and benchmark support: a recorder of one car's local bus (the ipc sockets in its run
 * directory, which a test on the same machine can open wherever the car's processes run), and a
 * publisher onto it, as the uplink would pass the NUC's messages on.
 */
import path from 'node:path';
import { BusPublisher, BusSubscriber, carLocalEndpoints, carTopic, type FieldsOf, type HeaderOf, type MessageKind } from '../../protocol/index.ts';

export interface Heard<K extends MessageKind> {
  /** receive time, ms */
  at: number;
  header: HeaderOf<K>;
}

export type CarBusKind = 'applied' | 'agent' | 'metrics' | 'telemetry' | 'frame' | 'drive' | 'link' | 'sim' | 'control';

export interface CarBusRecorder {
  /** every message of that kind so far, in arrival order (frames without their payload) */
  heard<K extends CarBusKind>(kind: K): Heard<K>[];
  /** the newest pid each service reported in its metrics */
  pids: Map<string, number>;
  /** publishes onto the car-local bus */
  send<K extends 'control' | 'calibrate'>(kind: K, fields: FieldsOf<K>): Promise<void>;
  close(): Promise<void>;
}

export function carRunDir(dataDir: string, carId: string): string {
  return path.join(dataDir, 'car', carId, 'run');
}

export function recordCarBus(dataDir: string, carId: string, kinds: readonly CarBusKind[]): CarBusRecorder {
  const bus = carLocalEndpoints(carRunDir(dataDir, carId));
  const subscriber = BusSubscriber.connect(bus.subscribers, { topics: kinds.map((kind) => carTopic(carId, kind)) });
  const publisher = BusPublisher.connect(bus.publishers);
  const byKind = new Map<string, Heard<MessageKind>[]>(kinds.map((kind) => [kind, []]));
  const pids = new Map<string, number>();
  subscriber.on((message) => {
    byKind.get(message.kind)?.push({ at: Date.now(), header: message.header });
    if (message.kind === 'metrics') pids.set(message.header.service, message.header.pid);
  });
  return {
    heard: <K extends CarBusKind>(kind: K) => (byKind.get(kind) ?? []) as Heard<K>[],
    pids,
    send: <K extends 'control' | 'calibrate'>(kind: K, fields: FieldsOf<K>) => publisher.send(carTopic(carId, kind) as `car/${string}/${K}`, fields as never),
    async close() {
      await subscriber.close();
      await publisher.close();
    },
  };
}
