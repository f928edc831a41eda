/**
 * A bus peer in its own process: answers every control on `car/<from>/control` with one on `car/<to>/control`.
 * argv: <subscribers> <publishers> <from> <to> [<client key directory>] (with keys: a CURVE client that seals what it sends).
 */
import { BusPublisher, BusSubscriber, ClientSecurity, carTopic, readClientKeys, type BusEndpoints } from '../../../protocol/index.ts';

const [subscribers, publishers, from, to, keysDir] = process.argv.slice(2) as [string, string, string, string, string | undefined];
const bus: BusEndpoints = { subscribers, publishers, ...(keysDir ? { security: new ClientSecurity(readClientKeys(keysDir)) } : {}) };
const out = BusPublisher.connect(bus);
const input = BusSubscriber.connect(bus, { topics: [carTopic(from, 'control')] });
const reply = carTopic(to, 'control');
input.on('control', (message) => {
  const { angle, throttle, ts } = message.header;
  void out.send(reply, { angle, throttle, ts });
});
process.send?.({ type: 'ready' });
process.on('SIGTERM', () => {
  void Promise.all([input.close(), out.close()]).then(() => process.exit(0));
});
