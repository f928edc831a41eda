import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { wrapNodeHidDevice, type NodeHidDevice } from './node-hid-backend.ts';

/** node-hid's HIDAsync as far as the handle uses it; emits what the real one does. */
class HidAsyncLike extends EventEmitter implements NodeHidDevice {
  written: number[][] = [];
  async write(report: number[]): Promise<number> {
    this.written.push(report);
    return report.length;
  }
  async sendFeatureReport(report: number[]): Promise<number> {
    return report.length;
  }
  async close(): Promise<void> {}
}

describe('the node-hid handle', () => {
  it('turns the string node-hid emits for a vanished hidraw node into an Error (seen under the kernel, test/hil)', () => {
    const device = new HidAsyncLike();
    const errors: unknown[] = [];
    wrapNodeHidDevice(device).on('error', (error) => errors.push(error));
    device.emit('error', 'could not read from HID device');
    device.emit('error', new Error('already an Error'));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(Error);
    expect((errors[0] as Error).message).toBe('could not read from HID device');
    expect((errors[1] as Error).message).toBe('already an Error');
  });

  it('passes reports through unchanged, report id first', async () => {
    const device = new HidAsyncLike();
    const handle = wrapNodeHidDevice(device);
    const seen: Uint8Array[] = [];
    handle.on('data', (data) => seen.push(data));
    device.emit('data', Buffer.from([0x07, 0x00, 0x80]));
    expect([...seen[0]!]).toEqual([0x07, 0x00, 0x80]);
    await handle.write([0x60, 0x08, 0x11]);
    expect(device.written).toEqual([[0x60, 0x08, 0x11]]);
  });
});
