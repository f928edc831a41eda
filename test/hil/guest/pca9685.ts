/**
 * Inside the guest (run by ../pca9685.test.ts): the real actuator service on /dev/i2c-0, the kernel's
 * i2c-stub standing in for the PCA9685 at 0x40. This script is the car's other side: it serves the
 * car-local bus (the proxy service's own code), sends drive and control commands as the pilot and the
 * NUC would, and reads the chip's registers back through the kernel after each step, with a second
 * i2c-bus handle and with i2c-tools. It only observes; the test asserts. Prints one JSON document.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import i2c from 'i2c-bus';
import type { SteeringCalibration, ThrottleCalibration } from '../../../runtime/index.ts';
import { openDriveOutputs } from '../../../car/actuator/open-bus.ts';
import { BusPublisher, BusSubscriber, carLocalEndpoints, carTopic, startProxy, type HeaderOf } from '../../../protocol/index.ts';
import { guestPlatform, nextMatching } from './services.ts';

export interface Pca9685Scenario {
  actuator: { failsafeMs: number; frequencyHz: number; steering: SteeringCalibration; throttle: ThrottleCalibration };
  commands: { angle: number; throttle: number }[];
  estopThrottle: number;
  /** driven through the driver directly once the stub no longer offers I2C block writes */
  byteCommands: { angle: number; throttle: number }[];
}

export type Applied = HeaderOf<'applied'>;
/** Register values 0x00..0xff as read through the kernel (null: not read). */
export type Registers = (number | null)[];

const CAR = '1';
const BUS = 0;
const ADDRESS = 0x40;
const HOLD_EVERY_MS = 50;
/** The kernel's I2C_FUNC_SMBUS_READ_I2C_BLOCK | I2C_FUNC_SMBUS_WRITE_I2C_BLOCK. */
const I2C_FUNC_SMBUS_I2C_BLOCK = 0x0c000000;
const STUB_FUNCTIONALITY = '/sys/module/i2c_stub/parameters/functionality';
const READ_REGISTERS = [...Array.from({ length: 0x46 }, (_, i) => i), 0xfa, 0xfb, 0xfc, 0xfd, 0xfe];
const run = promisify(execFile);

const scenario = JSON.parse(process.env.HIL_SCENARIO ?? '') as Pca9685Scenario;
const platform = guestPlatform({ car: { i2c: { bus: BUS, address: ADDRESS }, actuator: scenario.actuator, agent: { enabled: false } } });
const runDir = path.join(platform.dataDir, 'car', CAR, 'run');
fs.mkdirSync(runDir, { recursive: true });
const endpoints = carLocalEndpoints(runDir);
const proxy = await startProxy({ publishersEndpoint: endpoints.publishers, subscribersEndpoint: endpoints.subscribers });
const reader = await i2c.openPromisified(BUS);

/** The register file through the kernel: SMBus byte reads on a second handle, as i2cget does. */
async function registers(): Promise<Registers> {
  const out: Registers = new Array<number | null>(256).fill(null);
  for (const register of READ_REGISTERS) out[register] = await reader.readByte(ADDRESS, register);
  return out;
}

/** The whole chip as i2c-tools' i2cdump shows it. */
async function i2cdump(): Promise<Registers> {
  const { stdout } = await run('i2cdump', ['-y', String(BUS), `0x${ADDRESS.toString(16)}`, 'b']);
  const out: Registers = new Array<number | null>(256).fill(null);
  for (const line of stdout.split('\n')) {
    const match = /^([0-9a-f]{2}):((?: [0-9a-fX]{2}){16})/.exec(line);
    if (!match) continue;
    match[2]!.trim().split(' ').forEach((cell, i) => (out[parseInt(match[1]!, 16) + i] = cell === 'XX' ? null : parseInt(cell, 16)));
  }
  return out;
}

const funcsAtStart = await reader.i2cFuncs();
const i2cdetectAtStart = (await run('i2cdetect', ['-F', String(BUS)])).stdout;
const actuator = await platform.start('car', 'actuator', CAR);
const armed = await registers();

const subscriber = BusSubscriber.connect(endpoints.subscribers, { topics: [carTopic(CAR, 'applied')] });
const publisher = BusPublisher.connect(endpoints.publishers);
let latest: Applied | undefined;
const appliedListeners = new Set<(applied: Applied) => void>();
subscriber.on((message) => {
  latest = message.header as Applied;
  for (const listener of appliedListeners) listener(latest);
});
const nextApplied = (pick: (a: Applied) => boolean): Promise<Applied> => {
  if (latest && pick(latest)) return Promise.resolve(latest);
  return nextMatching<Applied, Applied>(
    (listener) => {
      appliedListeners.add(listener);
      return () => appliedListeners.delete(listener);
    },
    (a) => (pick(a) ? a : undefined),
  );
};

let driveSeq = -1;
let lastDriveSentAt = 0;
const drive = async (angle: number, throttle: number): Promise<void> => {
  driveSeq++;
  await publisher.send<'drive'>(carTopic(CAR, 'drive'), { gen: 0, angle, throttle, source: 'user', frameSeq: -1 });
  lastDriveSentAt = Date.now();
};
/** Sends the command over and over, as a pilot does; returns the function that stops it. */
function hold(angle: number, throttle: number): () => void {
  void drive(angle, throttle);
  const timer = setInterval(() => void drive(angle, throttle), HOLD_EVERY_MS);
  return () => clearInterval(timer);
}

/** LEDn_OFF of a channel in a snapshot (ON is 0 for every pulse the driver writes). */
const offCount = (regs: Registers, channel: number): number => (regs[0x08 + 4 * channel] ?? -1) | ((regs[0x09 + 4 * channel] ?? -1) << 8);
const MAX_SNAPSHOTS = 50;

/**
 * The applied state `pick` accepts and a register snapshot taken while it held. A stalled sender on a
 * loaded machine can let the failsafe write neutral during the snapshot, before its applied message
 * arrives here, so a snapshot counts only when the chip shows the applied counts and the state still
 * holds after it; otherwise the next applied state is awaited and read again.
 */
async function settled(pick: (a: Applied) => boolean): Promise<{ applied: Applied; registers: Registers }> {
  let last: { applied: Applied; registers: Registers } | undefined;
  for (let attempt = 0; attempt < MAX_SNAPSHOTS; attempt++) {
    const applied = await nextApplied(pick);
    const regs = await registers();
    last = { applied, registers: regs };
    const chipShowsIt = offCount(regs, scenario.actuator.throttle.channel) === applied.throttleCount && offCount(regs, scenario.actuator.steering.channel) === applied.steeringCount;
    const stillHolds = latest !== undefined && pick(latest) && latest.throttleCount === applied.throttleCount && latest.steeringCount === applied.steeringCount;
    if (chipShowsIt && stillHolds) return last;
    if (latest === applied) latest = undefined; // wait for the next applied message, not this one again
  }
  return last!; // never consistent: the test shows what the chip held
}

const steps = [];
for (const command of scenario.commands) {
  const release = hold(command.angle, command.throttle);
  steps.push({ command, ...(await settled((a) => a.reason === 'command' && a.angle === command.angle && a.throttle === command.throttle)) });
  release();
}

// Silence: the last command above was the last one sent.
const silentFrom = lastDriveSentAt;
const failsafeApplied = await nextApplied((a) => a.reason === 'failsafe');
const failsafe = { silentForMs: Date.now() - silentFrom, applied: failsafeApplied, registers: await registers() };

// Estop while a command holds throttle, then more commands: the latch keeps neutral.
let release = hold(0.25, scenario.estopThrottle);
const beforeEstop = await settled((a) => a.reason === 'command' && a.throttle === scenario.estopThrottle);
const estopControl = setInterval(() => void publisher.send<'control'>(carTopic(CAR, 'control'), { angle: 0, throttle: 0, estop: true }), HOLD_EVERY_MS);
const estopped = await settled((a) => a.reason === 'estop');
clearInterval(estopControl);
const seqAtEstop = driveSeq;
const afterEstopCommands = await settled((a) => a.reason === 'estop' && (a.driveSeq ?? -1) > seqAtEstop + 2);
release();
const estop = { before: beforeEstop, estopped, commandsAfter: afterEstopCommands };

// Estop cleared and throttle back on, then SIGTERM: the all-stop path (neutral throttle, then every
// output off) while commands still arrive, seen by i2c-tools.
const clearEstop = setInterval(() => void publisher.send<'control'>(carTopic(CAR, 'control'), { angle: 0, throttle: 0, estop: false }), HOLD_EVERY_MS);
release = hold(0, scenario.estopThrottle);
const beforeStop = await settled((a) => a.reason === 'command' && a.throttle === scenario.estopThrottle);
clearInterval(clearEstop);
const stopExit = await platform.stop(actuator);
release();
const stopped = { before: beforeStop, exitCode: stopExit, registers: await i2cdump() };

// The same stub without I2C block transfers: the driver has to notice and write bytes.
const functionality = Number(fs.readFileSync(STUB_FUNCTIONALITY, 'utf8'));
fs.writeFileSync(STUB_FUNCTIONALITY, String(functionality & ~I2C_FUNC_SMBUS_I2C_BLOCK));
const i2cdetectWithoutBlock = (await run('i2cdetect', ['-F', String(BUS)])).stdout;
// What the kernel does with a block write the adapter no longer advertises (LED15, unused here).
const unadvertisedBlockWrite = await reader
  .writeI2cBlock(ADDRESS, 0x42, 4, Buffer.from([0x11, 0x22, 0x33, 0x44]))
  .then(() => ({ accepted: true, code: undefined }), (error: { code?: string }) => ({ accepted: false, code: error.code }));
const byteDriven = await openDriveOutputs({ i2c: { bus: BUS, address: ADDRESS }, ...scenario.actuator });
// i2c-bus asks the kernel once per handle: the driver's fresh handle sees the new functionality
const funcsWithoutBlock = await byteDriven.bus.i2cFuncs?.();
const byteSteps = [];
for (const command of scenario.byteCommands) {
  const applied = await byteDriven.outputs.apply(command.angle, command.throttle);
  byteSteps.push({ command, applied, registers: await registers() });
}
await byteDriven.outputs.stop();
await byteDriven.bus.close();
fs.writeFileSync(STUB_FUNCTIONALITY, String(functionality));

process.stdout.write(
  `${JSON.stringify({
    funcsAtStart,
    i2cdetectAtStart,
    armed,
    steps,
    failsafe,
    estop,
    stopped,
    byteMode: { funcs: funcsWithoutBlock, i2cdetect: i2cdetectWithoutBlock, unadvertisedBlockWrite, pwmWrites: byteDriven.chip.pwmWrites, steps: byteSteps },
  })}\n`,
);
await subscriber.close();
await publisher.close();
await reader.close();
await platform.stopAll();
await proxy.close();
process.exit(0);
