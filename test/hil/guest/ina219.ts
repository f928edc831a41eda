/**
 * Inside the guest (run by ../ina219.test.ts): the INA219 battery gauge on /dev/i2c-0, the kernel's
 * i2c-stub standing in for the chip at 0x41 (and for the PCA9685 at 0x40, which the actuator drives).
 * i2c-stub keeps SMBus words as the adapter hands them over, so the scenario's registers are set
 * with i2cset as a real INA219 would present them (most significant byte first on the wire, which
 * SMBus puts in the word's low byte), and what the driver wrote is read back the same way. It only
 * observes; the test asserts. Prints one JSON document.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { openHardwareI2c } from '../../../car/actuator/i2c.ts';
import { Ina219, type Ina219Settings } from '../../../car/battery/index.ts';
import { BusSubscriber, carLocalEndpoints, carTopic, startProxy, type HeaderOf } from '../../../protocol/index.ts';
import { guestPlatform, nextMatching } from './services.ts';

/** One register as the test sets it: the SMBus word i2cset writes. */
export interface WordWrite {
  register: number;
  word: number;
}

export interface Ina219Scenario {
  address: number;
  settings: Ina219Settings;
  /** registers set before the driver reads */
  direct: WordWrite[];
  /** the actuator's car.battery section */
  battery: { address: number; shuntOhms: number; maxCurrentA: number; busRangeV: 16 | 32; sampleMs: number; lowVolts: number; hysteresisVolts: number };
  /** the bus, shunt and current registers the actuator's gauge reads, then a flat battery's bus register */
  healthy: { busRegister: number; shuntRegister: number };
  flat: { busRegister: number };
}

export type Applied = HeaderOf<'applied'>;

const BUS = 0;
const CAR = '1';
const run = promisify(execFile);
const scenario = JSON.parse(process.env.HIL_SCENARIO ?? '') as Ina219Scenario;
const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

async function i2cset(address: number, register: number, word: number): Promise<void> {
  await run('i2cset', ['-y', String(BUS), hex(address), hex(register), `0x${word.toString(16).padStart(4, '0')}`, 'w']);
}
async function i2cget(address: number, register: number): Promise<number> {
  const { stdout } = await run('i2cget', ['-y', String(BUS), hex(address), hex(register), 'w']);
  return parseInt(stdout.trim(), 16);
}
const swapped = (register: number) => ((register & 0xff) << 8) | ((register >> 8) & 0xff);

// 1. The driver alone, on the real i2c-bus addon.
const bus = await openHardwareI2c(BUS);
const chip = new Ina219(bus, scenario.address, scenario.settings);
await chip.init();
const programmed = { config: await i2cget(scenario.address, 0x00), calibration: await i2cget(scenario.address, 0x05) };
for (const { register, word } of scenario.direct) await i2cset(scenario.address, register, word);
const reading = await chip.read();
// A brown-out: the chip lost its calibration; the driver must program it again.
await i2cset(scenario.address, 0x05, 0x0000);
const afterBrownOut = await chip.read();
const reprogrammed = await i2cget(scenario.address, 0x05);
const absent = await new Ina219(bus, 0x4f, scenario.settings).read().then(
  () => ({ rejected: false, code: undefined as string | undefined }),
  (error: { code?: string }) => ({ rejected: true, code: error.code }),
);
await bus.close();

// 2. The actuator service with car.battery: the gauge shares the PCA9685's bus and reports on `applied`.
const { address, sampleMs } = scenario.battery;
await i2cset(address, 0x02, swapped(scenario.healthy.busRegister));
await i2cset(address, 0x01, swapped(scenario.healthy.shuntRegister));
// the current register still holds part 1's value: clear it, so only the one set below can be read back
await i2cset(address, 0x04, 0x0000);
const platform = guestPlatform({ car: { i2c: { bus: BUS, address: 0x40 }, battery: { enabled: true, ...scenario.battery }, agent: { enabled: false } } });
const runDir = path.join(platform.dataDir, 'car', CAR, 'run');
fs.mkdirSync(runDir, { recursive: true });
const endpoints = carLocalEndpoints(runDir);
const proxy = await startProxy({ publishersEndpoint: endpoints.publishers, subscribersEndpoint: endpoints.subscribers });
const subscriber = BusSubscriber.connect(endpoints.subscribers, { topics: [carTopic(CAR, 'applied')] });
const listeners = new Set<(applied: Applied) => void>();
subscriber.on((message) => {
  for (const listener of listeners) listener(message.header as Applied);
});
const next = (pick: (a: Applied) => boolean): Promise<Applied> =>
  nextMatching<Applied, Applied>(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    (a) => (pick(a) ? a : undefined),
  );
const firstBattery = next((a) => a.battery !== undefined);
await platform.start('car', 'actuator', CAR);
await firstBattery;
// The chip computes its current register from the calibration the actuator programmed: so does the test.
const actuatorCalibration = swapped(await i2cget(address, 0x05));
const shunt = scenario.healthy.shuntRegister >= 0x8000 ? scenario.healthy.shuntRegister - 0x10000 : scenario.healthy.shuntRegister;
const currentRegister = Math.trunc((shunt * actuatorCalibration) / 4096) & 0xffff;
await i2cset(address, 0x04, swapped(currentRegister));
const startedAt = Date.now();
// the scenario's current is negative: a reading of it is one taken after the register was set
const healthy = await next((a) => a.battery !== undefined && a.battery.amps < 0 && a.battery.low === false);
await i2cset(address, 0x02, swapped(scenario.flat.busRegister));
const flatSetAt = Date.now();
const flat = await next((a) => a.battery?.low === true);
const lowAfterMs = Date.now() - flatSetAt;

process.stdout.write(
  `${JSON.stringify({
    programmed,
    reading,
    afterBrownOut: { reading: afterBrownOut, calibrationWord: reprogrammed },
    absent,
    actuator: { calibrationRegister: actuatorCalibration, currentRegister, healthy: healthy.battery, flat: flat.battery, lowAfterMs, sampleMs, healthyAfterMs: flatSetAt - startedAt },
  })}\n`,
);
await subscriber.close();
await platform.stopAll();
await proxy.close();
process.exit(0);
