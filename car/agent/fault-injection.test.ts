import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFault, takeFault } from './fault-injection.ts';
import { initialState, type AgentState } from './state.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('fault injection (test-only)', () => {
  it('parses <action>:<phase> and names what is wrong', () => {
    expect(parseFault('hold:downloading\n')).toEqual({ action: 'hold', phase: 'downloading' });
    expect(() => parseFault('explode:downloading')).toThrow(/fault action 'explode' must be one of hold, crash/);
    expect(() => parseFault('hold:teleporting')).toThrow(/fault phase 'teleporting' must be one of idle/);
    expect(() => parseFault('hold')).toThrow(/must be <action>:<phase>/);
  });

  it('fires once, at the named phase only, consuming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-fault-'));
    dirs.push(dir);
    const file = path.join(dir, 'fault');
    fs.writeFileSync(file, 'crash:idle');
    const failed: AgentState = { ...initialState(), phase: 'failed', failedVersion: 2, lastError: 'x' };
    expect(takeFault(file, failed)).toBeUndefined();
    expect(fs.existsSync(file)).toBe(true);
    expect(takeFault(file, initialState())).toEqual({ action: 'crash', phase: 'idle' });
    expect(fs.existsSync(file)).toBe(false);
    expect(takeFault(file, initialState())).toBeUndefined();
  });
});
