import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../runtime/index.ts';
import { GpioLine, GpioLineError, helperArgs, helperPath } from './gpio-line.ts';
import type { LineEdge } from './debounce.ts';

// The helper's process boundary with a stand-in interpreter: a shell script that ignores the helper
// and prints what a helper (or something broken) would. The real helper on a real line is test/hil/timing.test.ts.
const settings = validateConfig({ nuc: { timing: { gpio: { enabled: true, chip: 'gpiochip3', line: 5, active: 'low', bias: 'pull-up' } } } }, 'test').nuc.timing.gpio;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function interpreter(script: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpio-line-'));
  dirs.push(dir);
  const file = path.join(dir, 'python3');
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return file;
}

function recorder() {
  const seen = { edges: [] as LineEdge[], invalid: [] as string[], lost: 0, exits: [] as Array<{ code: number | null; message: string }> };
  const events = {
    edge: (edge: LineEdge) => seen.edges.push(edge),
    invalid: (reason: string) => seen.invalid.push(reason),
    lost: (count: number) => (seen.lost += count),
    exit: (code: number | null, message: string) => seen.exits.push({ code, message }),
  };
  return { seen, events };
}

describe('GpioLine', () => {
  it('asks the helper for the configured chip, line, bias and active level', () => {
    expect(helperArgs(settings)).toEqual(['-u', helperPath(), '--chip', 'gpiochip3', '--line', '5', '--bias', 'pull-up', '--active-low']);
    expect(fs.existsSync(helperPath())).toBe(true);
  });

  it('hands on edges after ready, refuses other lines, counts edges the kernel dropped and reports the end', async () => {
    const python = interpreter(
      [
        "echo 'ready gpiochip3 8 1'",
        "echo 'edge rising 1765000000000250000 1'",
        "echo 'rm -rf /'",
        "echo 'edge falling 1765000000080000000 4'",
        "echo 'gpiochip3: gone' >&2",
        'exit 1',
      ].join('\n'),
    );
    const { seen, events } = recorder();
    const { line, start } = await GpioLine.open(settings, events, python);
    expect(start).toMatchObject({ chip: 'gpiochip3', lines: 8, active: true });
    await new Promise<void>((resolve) => {
      const wait = setInterval(() => seen.exits.length > 0 && (clearInterval(wait), resolve()), 10);
    });
    expect(seen.edges).toEqual([
      { active: true, atMs: 1765000000000.25 },
      { active: false, atMs: 1765000000080 },
    ]);
    expect(seen.invalid).toEqual(['unknown line']);
    expect(seen.lost).toBe(2);
    expect(seen.exits).toEqual([{ code: 1, message: 'gpiochip3: gone' }]);
    await line.close();
  });

  it('rejects naming the line when the helper says the chip has no such line', async () => {
    const python = interpreter("echo '/dev/gpiochip3: has no line 5 (it has 4 lines, 0..3)' >&2\nexit 3");
    const error = await GpioLine.open(settings, recorder().events, python).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpioLineError);
    expect(error).toMatchObject({ field: 'line', reason: '/dev/gpiochip3: has no line 5 (it has 4 lines, 0..3)' });
  });

  it('rejects naming the chip when it cannot be opened, and the helper when the interpreter is missing', async () => {
    const python = interpreter("echo '/dev/gpiochip3: cannot open the GPIO chip: No such file or directory' >&2\nexit 3");
    await expect(GpioLine.open(settings, recorder().events, python)).rejects.toMatchObject({ field: 'chip' });
    await expect(GpioLine.open(settings, recorder().events, '/nonexistent/python3')).rejects.toMatchObject({ field: 'helper', reason: expect.stringMatching(/cannot run/) });
  });
});
