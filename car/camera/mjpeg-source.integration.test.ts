import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSourceError, type CameraFrame, type SourceLogger } from './frame-source.ts';
import { MjpegSource } from './mjpeg-source.ts';
import { sampleJpegs, type SampleJpeg } from '../../test/support/jpegs.ts';
import { waitFor } from '../../test/support/net.ts';

/** A stand-in camera: writes the JPEGs in a file to stdout, one write per frame, then exits (or holds). */
const FAKE_CAMERA = `
const fs = require('fs');
const [file, after] = process.argv.slice(1);
const data = fs.readFileSync(file);
const sizes = JSON.parse(fs.readFileSync(file + '.json', 'utf8'));
let at = 0, i = 0;
if (after === 'ignore-term') process.on('SIGTERM', () => {});
function next() {
  if (i === sizes.length) {
    if (after === 'exit') { process.stderr.write('camera went away\\n'); process.stdout.end(() => process.exit(3)); }
    else setInterval(() => {}, 1000);
    return;
  }
  process.stdout.write(data.subarray(at, at + sizes[i]));
  at += sizes[i++];
  setTimeout(next, 15);
}
next();
`;

let dir: string;
let samples: SampleJpeg[];
let streamFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mjpeg-source-'));
  samples = (await sampleJpegs()).slice(0, 3);
  streamFile = join(dir, 'stream.mjpeg');
  await writeFile(streamFile, Buffer.concat(samples.map((s) => s.jpeg)));
  await writeFile(`${streamFile}.json`, JSON.stringify(samples.map((s) => s.jpeg.length)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}
function recordingLogger(): SourceLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const fakeCamera = (after: 'exit' | 'hold' | 'ignore-term'): string[] => [process.execPath, '-e', FAKE_CAMERA, streamFile, after];

describe('MjpegSource', () => {
  it('restarts a camera command that exits, and frames keep coming', async () => {
    const log = recordingLogger();
    const source = new MjpegSource({ command: fakeCamera('exit'), log, restartInitialMs: 20 });
    const got: CameraFrame[] = [];
    try {
      for await (const frame of source.frames()) {
        got.push(frame);
        if (got.length === 8) break;
      }
    } finally {
      await source.close();
    }
    for (const frame of got) {
      const sample = samples.find((s) => s.jpeg.equals(frame.jpeg));
      expect(sample, 'each frame is one of the JPEGs written, byte-exact').toBeDefined();
      expect([frame.width, frame.height]).toEqual([sample!.width, sample!.height]);
      expect(frame.ts).toBeGreaterThan(0);
    }
    expect(source.stats.starts).toBeGreaterThanOrEqual(3);
    const restart = log.lines.find((l) => l.level === 'warn' && /exited; restarting/.test(l.msg ?? ''));
    expect(restart?.obj).toMatchObject({ code: 3, stderr: 'camera went away' });
  });

  it('logs a clear error naming a command that does not exist, and keeps retrying with backoff', async () => {
    const log = recordingLogger();
    const source = new MjpegSource({ command: ['no-such-camera-cmd-xyz', '--mjpeg'], log, restartInitialMs: 10, restartMaxMs: 40 });
    source.start();
    await waitFor(() => log.lines.length >= 4, 'four failed starts');
    await source.close();
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(errors[0]!.msg).toContain('camera command not found: "no-such-camera-cmd-xyz"');
    expect(errors[0]!.obj).toMatchObject({ code: 'ENOENT' });
    expect(errors.slice(0, 4).map((l) => l.obj.restartInMs)).toEqual([10, 20, 40, 40]);
    expect(source.stats.frames).toBe(0);
  });

  it('kills the command on close (no orphan) and ends the iteration', async () => {
    const source = new MjpegSource({ command: fakeCamera('hold'), restartInitialMs: 20 });
    const iterator = source.frames()[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    const pid = source.pid!;
    expect(isAlive(pid)).toBe(true);
    const pending = iterator.next();
    await source.close();
    expect(isAlive(pid)).toBe(false);
    // Frames that were already written may still be handed out; then the iteration ends.
    let result = await pending;
    while (!result.done) result = await iterator.next();
    expect(result.done).toBe(true);
    expect(source.stats.exits).toBe(0);
  });

  it('kills a command that ignores SIGTERM after the grace period', async () => {
    const source = new MjpegSource({ command: fakeCamera('ignore-term'), killGraceMs: 200 });
    const iterator = source.frames()[Symbol.asyncIterator]();
    await iterator.next();
    const pid = source.pid!;
    await source.close();
    expect(isAlive(pid)).toBe(false);
  });

  it('rejects a command that is not an argv array', () => {
    expect(() => new MjpegSource({ command: [] })).toThrow(CameraSourceError);
    expect(() => new MjpegSource({ command: 'libcamera-vid -t 0' as unknown as string[] })).toThrow(/argv array/);
    expect(() => new MjpegSource({ command: ['ffmpeg'], restartInitialMs: -1 })).toThrow(/restartInitialMs/);
  });
});
