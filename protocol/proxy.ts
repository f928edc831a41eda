/**
 * The bus proxy: publishers connect to its XSUB side, subscribers to its XPUB side. Messages are
 * forwarded as opaque parts (validation is the receivers' job) and counted; subscriptions flow back
 * upstream so publishers only send what someone wants.
 */
import { XPublisher, XSubscriber } from 'zeromq';
import { BusCounters } from './metrics.ts';

export interface ProxyOptions {
  /** where publishers connect, e.g. `tcp://0.0.0.0:5560` or `ipc:///…/xsub.ipc` */
  publishersEndpoint: string;
  /** where subscribers connect, e.g. `tcp://0.0.0.0:5559` */
  subscribersEndpoint: string;
  /** per-subscriber queue before the newest messages are dropped for that subscriber */
  sendHighWaterMark?: number;
  counters?: BusCounters;
}

export interface RunningProxy {
  readonly counters: BusCounters;
  close(): Promise<void>;
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const counters = options.counters ?? new BusCounters();
  const fromPublishers = new XSubscriber({ linger: 0, receiveHighWaterMark: 1000 });
  const toSubscribers = new XPublisher({ linger: 0, sendHighWaterMark: options.sendHighWaterMark ?? 1000 });
  try {
    await fromPublishers.bind(options.publishersEndpoint);
    await toSubscribers.bind(options.subscribersEndpoint);
  } catch (error) {
    fromPublishers.close();
    toSubscribers.close();
    const reason = (error as Error).message;
    throw new Error(`bus proxy cannot bind ${options.publishersEndpoint} / ${options.subscribersEndpoint}: ${reason}`);
  }

  const forward = async (): Promise<void> => {
    for await (const parts of fromPublishers) {
      counters.in++;
      try {
        await toSubscribers.send(parts);
        counters.out++;
      } catch {
        if (toSubscribers.closed) return;
        counters.drop('send');
      }
    }
  };
  const subscriptions = async (): Promise<void> => {
    for await (const parts of toSubscribers) {
      try {
        await fromPublishers.send(parts);
      } catch {
        if (fromPublishers.closed) return;
      }
    }
  };
  const loops = Promise.allSettled([forward(), subscriptions()]);

  return {
    counters,
    async close() {
      fromPublishers.close();
      toSubscribers.close();
      await loops;
    },
  };
}
