/**
 * Inside the guest (run by ../wheel.test.ts): the real wheel service (`wheel.device: auto`, node-hid on
 * hidraw) against wheels the kernel creates through uhid. This script serves the NUC bus (the proxy
 * service's own code), plugs each wheel in, plays its reports, unplugs and re-plugs it, and records the
 * controls the service published on car/1/control, the raw reports node-hid hands a second reader, and
 * the service's counters. It only observes; the test asserts. Prints one JSON document.
 */
import { BusSubscriber, carTopic, nucTopic, startProxy, tcpEndpoint, type BusMessage, type HeaderOf } from '../../../protocol/index.ts';
import type { HilWheel } from '../wheels.ts';
import { guestPlatform, nextMatching } from './services.ts';
import { UhidDevice } from './uhid.ts';

export type Control = HeaderOf<'control'>;
export interface WheelRun {
  wheel: string;
  /** the service opened the hidraw node (uhid OPEN) */
  opened: boolean;
  /** output reports the service wrote at start (range, autocenter), hex */
  outputs: string[];
  /** one control per state report, in order */
  controls: Control[];
  /** what node-hid delivered to a second reader, hex, one per report the kernel passed on */
  raw: string[];
  /** how node-hid lists the uhid device */
  info: { release: number; interface: number; usagePage?: number; usage?: number; product?: string };
  /** what the second reader saw when the device was destroyed under it */
  readerOnUnplug: string;
  /** the control sent when the wheel was unplugged */
  unplugged: Control;
  /** after re-plugging: the control for the first report again */
  replugged: Control;
  unpluggedAgain: Control;
  gauges: Record<string, number>;
}

const CAR = '1';
const PORTS = { publishers: 5560, subscribers: 5559 };
const wheels = JSON.parse(process.env.HIL_WHEELS ?? '') as HilWheel[];

const proxy = await startProxy({ publishersEndpoint: tcpEndpoint('127.0.0.1', PORTS.publishers), subscribersEndpoint: tcpEndpoint('127.0.0.1', PORTS.subscribers) });
const subscriber = BusSubscriber.connect(tcpEndpoint('127.0.0.1', PORTS.subscribers), { topics: [carTopic(CAR, 'control'), nucTopic('wheel', 'metrics')] });
const listeners = new Set<(message: BusMessage) => void>();
subscriber.on((message) => {
  for (const listener of listeners) listener(message);
});
const next = <R>(pick: (message: BusMessage) => R | undefined): Promise<R> =>
  nextMatching<BusMessage, R>(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    pick,
  );
const nextControl = (): Promise<Control> => next((m) => (m.topic.kind === 'control' ? (m.header as Control) : undefined));
const nextGauges = (pick: (gauges: Record<string, number>) => boolean): Promise<Record<string, number>> =>
  next((m) => {
    const gauges = m.topic.kind === 'metrics' ? (m.header as HeaderOf<'metrics'>).gauges : undefined;
    return gauges && pick(gauges) ? gauges : undefined;
  });

// the HID path is under test here, with the plain proxy above (the bus's security has its own tests)
const platform = guestPlatform({
  bus: { security: 'none' },
  nuc: { busPublishersPort: PORTS.publishers, busSubscribersPort: PORTS.subscribers },
  wheel: { device: 'auto', pollMs: 200, car: CAR },
});
// Metrics ride the same publisher as controls: once one arrives, no control can be lost to a late subscription.
const firstMetrics = nextGauges(() => true);
await platform.start('nuc', 'wheel');
await firstMetrics;

const hid = (await import('node-hid')).default;
hid.setDriverType('hidraw');
const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const spec = (wheel: HilWheel) => ({ name: wheel.name, vendorId: wheel.vendorId, productId: wheel.productId, version: wheel.version, descriptor: bytes(wheel.descriptorHex) });

/** Plugs the wheel in and resolves once the service has opened it. */
async function plug(wheel: HilWheel): Promise<UhidDevice> {
  const device = UhidDevice.create(spec(wheel));
  await device.next('open');
  return device;
}

/** Plays one report; resolves with its control, or undefined for a report that must not produce one. */
async function play(device: UhidDevice, hex: string, expectsControl: boolean): Promise<Control | undefined> {
  const control = expectsControl ? nextControl() : undefined;
  device.input(bytes(hex));
  return control;
}

const runs: WheelRun[] = [];
let disconnects = 0;
for (const wheel of wheels) {
  const device = await plug(wheel);
  const outputs = device.outputs.map((b) => b.toString('hex'));
  // A second reader on the same hidraw node, as node-hid gives it to the service.
  const info = (await hid.devicesAsync()).find((d) => d.vendorId === wheel.vendorId && d.productId === wheel.productId);
  if (!info?.path) throw new Error(`node-hid does not list ${wheel.name}`);
  const reader = await hid.HIDAsync.open(info.path, { nonExclusive: true });
  const raw: string[] = [];
  const rawArrived = new Set<() => void>();
  reader.on('data', (data: Buffer) => {
    raw.push(data.toString('hex'));
    for (const wake of rawArrived) wake();
  });
  const controls: Control[] = [];
  for (const report of wheel.reports) {
    if (report.delivered === false) {
      device.input(bytes(report.hex)); // the next report's arrival shows whether this one came through
      continue;
    }
    const seen = raw.length;
    const rawDone = new Promise<void>((resolve) => {
      const wake = (): void => {
        if (raw.length <= seen) return;
        rawArrived.delete(wake);
        resolve();
      };
      rawArrived.add(wake);
    });
    const control = await play(device, report.hex, report.state);
    await rawDone;
    if (control) controls.push(control);
  }
  // Unplug: the node vanishes under the pending reads of the service and of the second reader.
  const readerOnUnplug = new Promise<string>((resolve) => reader.on('error', (error: unknown) => resolve(`${typeof error}: ${String(error)}`)));
  const unpluggedControl = nextControl();
  device.destroy();
  const unplugged = await unpluggedControl;
  await reader.close().catch(() => undefined);
  disconnects++;
  // Hot-plug: the same wheel again, found by the next poll.
  const again = await plug(wheel);
  const replugged = (await play(again, wheel.reports[0]!.hex, true))!;
  const unpluggedAgainControl = nextControl();
  again.destroy();
  const unpluggedAgain = await unpluggedAgainControl;
  disconnects++;
  const gauges = await nextGauges((g) => g.wheel_disconnects === disconnects);
  const { release, interface: iface, usagePage, usage, product } = info;
  runs.push({
    wheel: wheel.id,
    opened: true,
    outputs,
    controls,
    raw,
    info: { release, interface: iface, usagePage, usage, product },
    readerOnUnplug: await Promise.race([readerOnUnplug, Promise.resolve('no error event')]),
    unplugged,
    replugged,
    unpluggedAgain,
    gauges,
  });
}

process.stdout.write(`${JSON.stringify(runs)}\n`);
await platform.stopAll();
await subscriber.close();
await proxy.close();
process.exit(0);
