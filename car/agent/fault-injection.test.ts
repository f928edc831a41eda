import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEffects } from './executor.ts';
import { parseFault, takeFault, withFaultyEffects } from './fault-injection.ts';
import { initialState, type AgentState, type Phase } from './state.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('fault injection (test-only)', () => {
  it('parses <action>:<phase> and names what is wrong', () => {
    expect(parseFault('hold:downloading\n')).toEqual({ action: 'hold', phase: 'downloading' });
    expect(parseFault('hang:switching')).toEqual({ action: 'hang', phase: 'switching' });
    expect(() => parseFault('explode:downloading')).toThrow(/fault action 'explode' must be one of hold, crash, error, hang/);
    expect(() => parseFault('hold:teleporting')).toThrow(/fault phase 'teleporting' must be one of idle/);
    expect(() => parseFault('hold')).toThrow(/must be <action>:<phase>/);
  });

  it('fails or hangs the named phase\'s own I/O once, and nothing else', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-fault-'));
    dirs.push(dir);
    const file = path.join(dir, 'fault');
    const calls: string[] = [];
    const unused = async () => {
      throw new Error('not called here');
    };
    const effects = {
      blobsPresent: unused,
      carState: unused,
      download: unused,
      deleteUnneeded: unused,
      stage: unused,
      startService: unused,
      stopService: unused,
      swapModel: unused,
      freeBytes: async () => (calls.push('freeBytes'), 100),
      switchGeneration: async (gen: number) => void calls.push(`switch ${gen}`),
      report: () => void calls.push('report'),
    } satisfies AgentEffects;
    let phase: Phase = 'checking-space';
    const faulty = withFaultyEffects(effects, file, () => phase);
    fs.writeFileSync(file, 'error:switching');
    expect(await faulty.freeBytes()).toBe(100);
    phase = 'switching';
    await expect(faulty.switchGeneration(3)).rejects.toThrow(/injected error in switching \(switchGeneration\)/);
    await faulty.switchGeneration(4);
    fs.writeFileSync(file, 'hang:switching');
    const hung = await Promise.race([faulty.switchGeneration(5).then(() => 'done'), new Promise((resolve) => setTimeout(() => resolve('still hanging'), 50))]);
    expect(hung).toBe('still hanging');
    faulty.report({ release: 'none', slot: 'A', state: 'idle', progress: 1 });
    expect(calls).toEqual(['freeBytes', 'switch 4', 'report']);
  });

  it('fires once, at the named phase only, consuming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-fault-'));
    dirs.push(dir);
    const file = path.join(dir, 'fault');
    fs.writeFileSync(file, 'crash:idle');
    const failed: AgentState = { ...initialState(), phase: 'failed', failedVersion: 2, lastError: 'x' };
    expect(takeFault(file, failed.phase)).toBeUndefined();
    expect(fs.existsSync(file)).toBe(true);
    // an in-step fault is not the journal's to fire
    expect(takeFault(file, 'idle', ['error', 'hang'])).toBeUndefined();
    expect(takeFault(file, initialState().phase)).toEqual({ action: 'crash', phase: 'idle' });
    expect(fs.existsSync(file)).toBe(false);
    expect(JSON.parse(fs.readFileSync(`${file}.fired`, 'utf8'))).toEqual({ pid: process.pid, action: 'crash', phase: 'idle' });
    expect(takeFault(file, initialState().phase)).toBeUndefined();
  });
});
