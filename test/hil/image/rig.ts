/**
 * The image test rig: a NUC on the host (the real launcher, `--only nuc`), car 7 paired, a driver and
 * a viewer paired, the target's image provisioned for that NUC (the guest reaches the host's loopback
 * at 10.0.2.2 through QEMU's user network), booted under TCG, and every frame the NUC forwards kept.
 * Shared by the image tests and the `image` benchmark.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BusPublisher, BusSubscriber, carTopic, ClientSecurity, readClientKeys, tcpEndpoint, type BusEndpoints } from '../../../protocol/index.ts';
import { provisionImage, type TargetName } from '../../../image/index.ts';
import { runBusCli } from '../../../launcher/bus-cli.ts';
import { runCli as runDeployCli } from '../../../launcher/deploy-cli.ts';
import { startPlatform, type RunningPlatform } from '../../support/platform.ts';
import { ImageGuest, prepareDisk, testImage } from './guest.ts';
import type { TestShell } from './test-shell.ts';

export const CAR = '7';
export const TOKEN = 'image-test-token-0123456789';
/** Frames kept whole; the rest are only counted (a guest runs for many minutes at 15 fps). */
const KEPT_FRAMES = 50;

export interface Frame {
  at: number;
  width: number;
  height: number;
  payload: Buffer;
}

export interface ImageRig {
  platform: RunningPlatform;
  guest: ImageGuest;
  /** the first frames the NUC forwarded (kept for their bytes) */
  frames: Frame[];
  /** every frame the NUC forwarded, counted past the ones kept */
  frameCount(): number;
  buildS: number;
  /** the image build (its manifest: partitions, OS version) */
  built: Awaited<ReturnType<typeof testImage>>;
  /** pulls the plug (kills QEMU) and boots the same disk again; `guest` is the new one afterwards */
  powerCut(): Promise<ImageGuest>;
  send(fields: { angle?: number; throttle?: number; estop?: boolean }): Promise<void>;
  /** What the NUC's proxy counted for the car's, the driver's and the watcher's keys, and the frames seen: for a failure's message. */
  busReport(): Promise<string>;
  stop(): Promise<void>;
}

export interface ImageRigOptions {
  memoryMb?: number;
  /** the tests' root shell in the guest (test-shell.ts) */
  shell?: TestShell;
  /** `deploy init` on the NUC before the car is paired, so the car trusts its update repository */
  updates?: boolean;
}

export async function startImageRig(target: TargetName, options: ImageRigOptions = {}): Promise<ImageRig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `edge-image-${target}-`));
  const built = await testImage(target, (line) => process.stderr.write(`[image ${target}] ${line}\n`));
  const platform = await startPlatform(['--only', 'nuc', '--id', CAR], { EDGE_TOKEN: TOKEN, EDGE_LOG_LEVEL: 'warn' });
  const env = platform.env;
  const nuc = { publishers: tcpEndpoint('127.0.0.1', Number(env.EDGE_BUS_PUB_PORT)), subscribers: tcpEndpoint('127.0.0.1', Number(env.EDGE_BUS_SUB_PORT)) };
  const pair = async (name: string, out: string, ...args: string[]): Promise<BusEndpoints> => {
    const lines: string[] = [];
    const code = await runBusCli(['pair', name, ...args, '--out', out], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, env);
    if (code !== 0) throw new Error(`bus pair ${name}: ${lines.join('\n')}`);
    return { ...nuc, security: new ClientSecurity(readClientKeys(out)) };
  };
  await waitUntil(async () => {
    try {
      return (await fetch(`${platform.baseUrl}/api/cars`)).ok;
    } catch {
      return false;
    }
  }, "the NUC's server", 180_000);
  if (options.updates) {
    const lines: string[] = [];
    const code = await runDeployCli(['init'], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, env);
    if (code !== 0) throw new Error(`deploy init: ${lines.join('\n')}`);
  }
  const carKeys = path.join(dir, 'car-keys');
  await pair(`car${CAR}`, carKeys, '--role', 'car', '--car', CAR);
  const driver = BusPublisher.connect(await pair('driver', path.join(dir, 'driver-keys'), '--role', 'driver', '--car', CAR));
  const watcher = BusSubscriber.connect(await pair('watcher', path.join(dir, 'viewer-keys'), '--role', 'viewer'), { topics: [carTopic(CAR, 'frame')] });
  const frames: Frame[] = [];
  let frameCount = 0;
  watcher.on((message) => {
    if (message.kind !== 'frame') return;
    frameCount++;
    const header = message.header as { width: number; height: number };
    if (frames.length < KEPT_FRAMES) frames.push({ at: performance.now(), width: header.width, height: header.height, payload: Buffer.from(message.payload) });
  });
  const disk = await prepareDisk(built.image, dir, 512, options.shell ? { shellUrl: options.shell.guestUrl } : {});
  await provisionImage({
    image: disk,
    pairDir: carKeys,
    file: { car: CAR, nuc: { host: '10.0.2.2', httpPort: Number(new URL(platform.baseUrl).port), busPublishersPort: Number(env.EDGE_BUS_PUB_PORT), busSubscribersPort: Number(env.EDGE_BUS_SUB_PORT) } },
  });
  const boot = (): ImageGuest => ImageGuest.boot({ target, disk, dir, ...(options.memoryMb ? { memoryMb: options.memoryMb } : {}) });
  const rig: ImageRig = {
    platform,
    guest: boot(),
    frames,
    frameCount: () => frameCount,
    buildS: built.seconds,
    built,
    async powerCut() {
      await rig.guest.stop();
      options.shell?.abandon('the guest lost power');
      rig.guest = boot();
      return rig.guest;
    },
    send: (fields) => driver.send(carTopic(CAR, 'control'), { angle: 0, throttle: 0, ...fields }),
    async busReport() {
      const reply = await fetch(`${platform.baseUrl}/api/bus/clients`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.json() as Promise<{ clients: Array<{ name: string }> }>, (error: Error) => ({ clients: [], error: error.message }));
      const ours = reply.clients.filter((c) => [`car${CAR}`, 'driver', 'watcher'].includes(c.name));
      return `frames seen by the test: ${frameCount}; the proxy's counts: ${JSON.stringify(ours)}`;
    },
    async stop() {
      await rig.guest.stop();
      watcher.close();
      await driver.close();
      await platform.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

export async function waitUntil(probe: () => boolean | Promise<boolean>, what: string, timeoutMs: number, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
