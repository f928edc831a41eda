/**
 * examples/python/edge_driver.py, a driver tool written from the README's bus contract alone, against
 * `npm start`: it pairs by files, reads car 1's frames (checking each JPEG's size against its header)
 * and steers it; the car's emulated PCA9685 and its telemetry follow, and a message the NUC refuses
 * shows up in the tool's per-key counts (`GET /api/bus/clients`, `npm run bus -- list`).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBusCli } from '../../launcher/index.ts';
import { waitFor } from '../support/net.ts';
import { getJson, ROOT, startPlatform, waitForServices, type RunningPlatform, type ServiceInfo } from '../support/platform.ts';

/** Debian's interpreter, where python3-zmq and python3-cryptography install (another python3 may come first on PATH). */
const PYTHON = '/usr/bin/python3';
const TOOL = path.join(ROOT, 'examples', 'python', 'edge_driver.py');
const TOKEN = 'python-driver-test-token';

interface Run {
  events: Record<string, unknown>[];
  exited: Promise<number | null>;
  stderr: () => string;
  interrupt(): void;
}

let platform: RunningPlatform;
let keysDir: string;

function python(...args: string[]): Run {
  const child = spawn(PYTHON, [TOOL, '--keys', keysDir, '--pub-port', platform.env.EDGE_BUS_PUB_PORT!, '--sub-port', platform.env.EDGE_BUS_SUB_PORT!, '--car', '1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { events, exited, stderr: () => stderr, interrupt: () => child.kill('SIGINT') };
}

const auth = { authorization: `Bearer ${TOKEN}` };
const simGauges = async (): Promise<Record<string, number>> => {
  const services = await getJson<(ServiceInfo & { metrics: { gauges?: Record<string, number> } })[]>(`${platform.baseUrl}/api/services`);
  return services.find((s) => s.scope === 'car' && s.id === '1' && s.service === 'sim')?.metrics.gauges ?? {};
};

async function busList(): Promise<string> {
  const out: string[] = [];
  const code = await runBusCli(['list', '--data', platform.dataDir], { out: (line) => out.push(line), err: (line) => out.push(line) }, platform.env);
  expect(code).toBe(0);
  return out.join('\n');
}

beforeAll(async () => {
  const check = spawnSync(PYTHON, ['-c', 'import zmq, cryptography; assert zmq.has("curve")'], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`${PYTHON} lacks pyzmq with CURVE or cryptography: apt-get install python3-zmq python3-cryptography (.ci/run does)\n${check.stderr}`);
  platform = await startPlatform([], { EDGE_TOKEN: TOKEN });
  // the whole platform takes minutes to come up on 2 loaded cores
  await waitForServices(platform.baseUrl, ['nuc/proxy', 'nuc/server', 'car/1/sim', 'car/1/pilot', 'car/1/actuator', 'car/1/camera', 'car/1/uplink'], 300_000);
  keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'python-driver-keys-'));
  fs.rmSync(keysDir, { recursive: true });
  const out: string[] = [];
  const code = await runBusCli(['pair', 'pytool', '--role', 'driver', '--car', '1', '--out', keysDir, '--data', platform.dataDir], { out: (l) => out.push(l), err: (l) => out.push(l) }, platform.env);
  if (code !== 0) throw new Error(`pairing failed: ${out.join('\n')}`);
}, 420_000);

afterAll(async () => {
  await platform?.stop();
  if (keysDir) fs.rmSync(keysDir, { recursive: true, force: true });
});

describe('the Python driver tool (examples/python)', () => {
  it('reads car 1\'s frames, each JPEG the size its header says', { timeout: 120_000 }, async () => {
    const run = python('watch', '--frames', '10', '--timeout', '60');
    const code = await run.exited;
    expect(code, run.stderr()).toBe(0);
    const frames = run.events.filter((e) => e.event === 'frame');
    expect(frames.length).toBeGreaterThanOrEqual(10);
    for (const frame of frames) expect(frame).toMatchObject({ ok: true, jpeg: [frame.width, frame.height] });
    expect(run.events.some((e) => e.event === 'telemetry')).toBe(true);
  });

  it('steers the car: its PCA9685 channels and its telemetry follow the controls', { timeout: 150_000 }, async () => {
    const neutral = await waitFor(async () => {
      const gauges = await simGauges();
      return gauges.sim_steering_count !== undefined ? gauges : undefined;
    }, 'the simulator reporting its PCA9685 counts', 60_000, 200);
    expect(neutral.sim_throttle_count).toBeDefined();
    // full right is fewer counts than straight (car.actuator.steering: left 460, right 290); forward more than stopped (370)
    const run = python('drive', '--angle', '0.8', '--throttle', '0.5', '--seconds', '100');
    try {
      await waitFor(() => run.events.some((e) => e.event === 'publishing'), 'the proxy subscribing the tool\'s publisher', 30_000, 50);
      const moved = await waitFor(async () => {
        const gauges = await simGauges();
        return gauges.sim_steering_count! < 320 && gauges.sim_throttle_count! > 400 ? gauges : undefined;
      }, 'the emulated PCA9685 steering right and driving forward', 60_000, 100);
      expect(moved.sim_steering_count).toBeLessThan(320);
      const telemetry = await waitFor(
        () => run.events.find((e) => e.event === 'telemetry' && e.mode === 'user' && Math.abs((e.angle as number) - 0.8) < 1e-6 && (e.throttle as number) > 0),
        'telemetry in user mode at the commanded angle, seen by the tool',
        30_000,
        50,
      );
      expect(telemetry).toMatchObject({ mode: 'user', angle: 0.8 });
      const car = await getJson<{ telemetry?: { mode: string; angle: number } }>(`${platform.baseUrl}/api/cars/1`);
      expect(car.telemetry?.mode).toBe('user');
    } finally {
      run.interrupt();
    }
    expect(await run.exited, run.stderr()).toBe(0);
    const drove = run.events.find((e) => e.event === 'drove')!;
    expect(drove).toMatchObject({ bad_frames: 0 });
    expect(drove.frames as number).toBeGreaterThan(0);
    // the tool left the car stopped
    await waitFor(async () => ((await simGauges()).sim_throttle_count! <= 375 ? true : undefined), 'the throttle back at stopped', 30_000, 100);
  });

  it('sees a refused message counted against its own key, by reason', { timeout: 90_000 }, async () => {
    const run = python('refused', '--reason', 'version');
    expect(await run.exited, run.stderr()).toBe(0);
    const reply = await waitFor(async () => {
      const response = await fetch(`${platform.baseUrl}/api/bus/clients`, { headers: auth });
      const body = (await response.json()) as { clients: { name: string; messages: { accepted: number; refused: Record<string, number> }; subscriptions: { applied: number } }[] };
      const tool = body.clients.find((c) => c.name === 'pytool');
      return tool && (tool.messages.refused.version ?? 0) >= 1 ? tool : undefined;
    }, 'the refused control counted for pytool', 30_000, 200);
    expect(reply.messages.accepted).toBeGreaterThan(0); // the earlier tests' controls, however few a loaded machine let it send
    expect(reply.subscriptions.applied).toBeGreaterThanOrEqual(2);
    expect((await fetch(`${platform.baseUrl}/api/bus/clients`)).status).toBe(401);
    expect((await busList()).split('\n').find((line) => line.startsWith('pytool'))).toMatch(/\bdriver\s+1\s.*\bversion 1\b/);
  });
});
