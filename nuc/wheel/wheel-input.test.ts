import { describe, expect, it } from 'vitest';
import { hexToBytes } from './bytes.ts';
import { FakeHidBackend } from '../../test/support/fake-hid.ts';
import { ControlMapper } from './mapper.ts';
import { DEFAULT_WHEEL_MAPPING } from './mapping.ts';
import type { WheelControl } from './types.ts';
import type { HidDeviceInfo } from './hid-backend.ts';
import { WheelInput, type Timers, type WheelStatus } from './wheel-input.ts';

const T150: HidDeviceInfo = { vendorId: 0x044f, productId: 0xb677, path: '/dev/hidraw3', usagePage: 1, usage: 4 };
const IDLE = hexToBytes('070080ff03ff03ff0300000000000f');
/** full right, gas fully pressed (10-bit inverted: 0 = pressed) */
const RIGHT_FULL_GAS = hexToBytes('07ffffff030000ff0300000000000f');

/** Timers the test fires by hand: nothing depends on wall-clock time. */
const manualTimers = (): Timers & { fire(): void } => {
  let callback: (() => void) | undefined;
  return {
    setInterval: (fn) => (callback = fn),
    clearInterval: () => (callback = undefined),
    fire: () => callback?.(),
  };
};

function setup(devices: HidDeviceInfo[] = [T150], device = 'auto') {
  const backend = new FakeHidBackend(devices);
  const controls: WheelControl[] = [];
  const statuses: WheelStatus[] = [];
  const timers = manualTimers();
  const input = new WheelInput({
    backend,
    device,
    mapper: new ControlMapper({ ...DEFAULT_WHEEL_MAPPING, topSpeed: 80 }),
    onControl: (c) => controls.push(c),
    onStatus: (s) => statuses.push(s),
    timers,
  });
  return { backend, controls, statuses, input, timers };
}

describe('WheelInput', () => {
  it('opens a supported wheel and hands out one control per state report', async () => {
    const { backend, controls, input } = setup();
    await input.start();
    expect(input.status).toMatchObject({ state: 'connected', profile: 't150', device: '044f:b677' });
    backend.send(T150.path, IDLE);
    backend.send(T150.path, RIGHT_FULL_GAS);
    expect(controls.at(-1)).toMatchObject({ angle: 1, input: 't150' });
    expect(controls.at(-1)?.throttle).toBeCloseTo(1, 12);
    expect(input.counters.parsed).toBe(2);
    await input.stop();
  });

  it('ignores and counts short, garbled and non-state reports', async () => {
    const { backend, controls, input } = setup();
    await input.start();
    const before = controls.length;
    backend.send(T150.path, hexToBytes('1420000c0000000500000000000000'));
    backend.send(T150.path, hexToBytes('0700'));
    backend.send(T150.path, hexToBytes('070080ff03ff03ff0300000000000b'));
    expect(controls.length).toBe(before);
    expect(input.counters.snapshot()).toMatchObject({ ignored: 3, ignoredBy: { 'non-state': 1, short: 1, garbled: 1 } });
    await input.stop();
  });

  it('without a wheel the car gets one control with no throttle', async () => {
    const { controls, input, timers } = setup([]);
    await input.start();
    timers.fire();
    await input.poll();
    expect(controls).toEqual([{ angle: 0, throttle: 0, mode: 'user', recording: false, estop: false, input: 'none' }]);
    expect(input.status).toEqual({ state: 'searching' });
    await input.stop();
  });

  it('survives unplug mid-read and picks the wheel up again after re-plug', async () => {
    const { backend, controls, input, statuses } = setup();
    await input.start();
    backend.send(T150.path, RIGHT_FULL_GAS);
    backend.unplug(T150.path);
    await input.poll();
    expect(controls.at(-1)).toMatchObject({ throttle: 0, input: 'none' });
    expect(input.counters.disconnects).toBe(1);
    expect(input.status).toEqual({ state: 'searching' });
    expect(backend.send(T150.path, RIGHT_FULL_GAS)).toBe(false);

    backend.plug(T150);
    await input.poll();
    expect(input.status).toMatchObject({ state: 'connected' });
    backend.send(T150.path, RIGHT_FULL_GAS);
    expect(controls.at(-1)).toMatchObject({ angle: 1, input: 't150' });
    expect(statuses.map((s) => s.state)).toEqual(['searching', 'connected', 'searching', 'connected']);
    await input.stop();
  });

  it('notices a wheel that left the device list without a read error', async () => {
    const { backend, input } = setup();
    await input.start();
    backend.vanish(T150.path);
    await input.poll();
    expect(input.counters.disconnects).toBe(1);
    expect(backend.isOpen(T150.path)).toBe(false);
    await input.stop();
  });

  it('switches a G29 out of compatibility mode, then opens it natively with range and autocenter', async () => {
    const compat = { vendorId: 0x046d, productId: 0xc294, release: 0x1350, path: '/dev/hidraw1' };
    const { backend, input } = setup([compat]);
    await input.start();
    expect(input.status).toEqual({ state: 'switching', device: '046d:c294', target: '046d:c24f' });
    expect(backend.written.get(compat.path)?.[1]).toEqual([0x00, 0xf8, 0x09, 0x05, 0x01, 0x01, 0, 0]);
    await input.poll();
    expect(backend.written.get(compat.path)).toHaveLength(2); // not repeated while it detaches
    backend.unplug(compat.path);
    backend.plug({ ...compat, productId: 0xc24f, path: '/dev/hidraw2' });
    await input.poll();
    expect(input.status).toMatchObject({ state: 'connected', profile: 'g29' });
    expect(backend.written.get('/dev/hidraw2')?.[0]).toEqual([0x00, 0xf8, 0x81, 0x84, 0x03, 0, 0, 0]);
    await input.stop();
  });

  it('skips unsupported devices in auto mode and reports a configured one as uncalibrated', async () => {
    const pad = { vendorId: 0x1234, productId: 0x5678, path: '/dev/hidraw5' };
    const auto = setup([pad]);
    await auto.input.start();
    expect(auto.input.status).toEqual({ state: 'searching' });
    await auto.input.stop();
    const configured = setup([pad], '1234:5678');
    await configured.input.start();
    expect(configured.input.status).toEqual({ state: 'uncalibrated', device: '1234:5678' });
    await configured.input.stop();
  });

  it('reports a failing device list as an error and recovers', async () => {
    const { backend, input } = setup();
    backend.failList = true;
    await input.start();
    expect(input.status).toMatchObject({ state: 'error' });
    backend.failList = false;
    await input.poll();
    expect(input.status).toMatchObject({ state: 'connected' });
    await input.stop();
  });

  it('rejects a malformed device setting', () => {
    expect(() => setup([], 'logitech')).toThrow(/vvvv:pppp/);
  });
});
