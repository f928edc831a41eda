/** A bus peer in its own process: answers every control on `car/<from>/control` with one on `car/<to>/control`. */
import { BusPublisher, BusSubscriber, carTopic } from '../../../protocol/index.ts';

const [subscribers, publishers, from, to] = process.argv.slice(2) as [string, string, string, string];
const out = BusPublisher.connect(publishers);
const input = BusSubscriber.connect(subscribers, { topics: [carTopic(from, 'control')] });
const reply = carTopic(to, 'control');
input.on('control', (message) => {
  const { angle, throttle, ts } = message.header;
  void out.send(reply, { angle, throttle, ts });
});
process.send?.({ type: 'ready' });
process.on('SIGTERM', () => {
  void Promise.all([input.close(), out.close()]).then(() => process.exit(0));
});
