import { describe, expect, it } from 'vitest';
import { ConstantPilot, PilotError, PilotRegistry, createPilotRegistry, runPilot, type Pilot, type PilotInput } from './pilot.ts';

const input: PilotInput = { frame: { jpeg: Buffer.from([0xff, 0xd8]), width: 160, height: 120, seq: 4, ts: 1 } };

const pilotAnswering = (infer: Pilot['infer']): Pilot => ({ name: 'test', kind: 'model', infer });

describe('ConstantPilot', () => {
  it('always answers its output', async () => {
    const pilot = new ConstantPilot({ angle: 0.25, throttle: 0.5 });
    expect(await pilot.infer()).toEqual({ angle: 0.25, throttle: 0.5 });
    expect(pilot.kind).toBe('constant');
  });

  it('refuses a non-finite output', () => {
    expect(() => new ConstantPilot({ angle: Number.NaN, throttle: 0 })).toThrow(PilotError);
  });
});

describe('PilotRegistry', () => {
  it('creates a pilot by name with options', async () => {
    const pilot = await createPilotRegistry().create('constant', { angle: -0.5, throttle: 0.1 });
    expect(pilot.infer(input)).toEqual({ angle: -0.5, throttle: 0.1 });
  });

  it('names the known pilots when asked for an unknown one', async () => {
    const registry = createPilotRegistry().register('expert', () => new ConstantPilot());
    expect(registry.names()).toEqual(['constant', 'expert']);
    await expect(registry.create('neural')).rejects.toThrow('unknown pilot "neural"; known pilots: constant, expert');
  });

  it('refuses a duplicate name and bad constant options', async () => {
    const registry = new PilotRegistry().register('a', () => new ConstantPilot());
    expect(() => registry.register('a', () => new ConstantPilot())).toThrow(/already registered/);
    await expect(createPilotRegistry().create('constant', { angle: 'left' })).rejects.toThrow(/must be numbers/);
  });
});

describe('runPilot', () => {
  it('returns the output and how long inference took', async () => {
    let t = 100;
    const pilot = pilotAnswering(async () => {
      t += 12;
      return { angle: 0.1, throttle: 0.2 };
    });
    expect(await runPilot(pilot, input, () => t)).toEqual({ output: { angle: 0.1, throttle: 0.2 }, inferMs: 12 });
  });

  it('turns a throwing pilot into no output with the reason', async () => {
    const run = await runPilot(pilotAnswering(() => Promise.reject(new Error('tensor shape mismatch'))), input);
    expect(run.output).toBeUndefined();
    expect(run.error).toBe('pilot "test" failed: tensor shape mismatch');
  });

  it('turns a NaN or missing answer into no output', async () => {
    expect((await runPilot(pilotAnswering(() => ({ angle: Number.NaN, throttle: 0 })), input)).output).toBeUndefined();
    const nothing = await runPilot(pilotAnswering(() => undefined as unknown as { angle: number; throttle: number }), input);
    expect(nothing.output).toBeUndefined();
    expect(nothing.error).toMatch(/not finite/);
  });
});
