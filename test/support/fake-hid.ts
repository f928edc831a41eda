/**
 * An in-memory HID backend for tests and benchmarks: a scripted device list, recorded reports pushed in,
 * unplug / re-plug, and a log of what was written to each device.
 */
import { EventEmitter } from 'node:events';
import type { HidBackend, HidDeviceHandle, HidDeviceInfo } from '../../nuc/wheel/index.ts';

class FakeHandle extends EventEmitter implements HidDeviceHandle {
  closed = false;
  constructor(
    readonly path: string,
    private readonly onWrite: (report: number[]) => void,
  ) {
    super();
    // like node-hid, an 'error' with no listener would throw: keep the fake as forgiving as the adapter
    this.on('error', () => {});
  }
  write(report: readonly number[]): number {
    if (this.closed) throw new Error(`write to closed device ${this.path}`);
    this.onWrite([...report]);
    return report.length;
  }
  close(): void {
    this.closed = true;
    this.removeAllListeners('data');
  }
}

export class FakeHidBackend implements HidBackend {
  private devices = new Map<string, HidDeviceInfo>();
  private handles = new Map<string, FakeHandle>();
  /** every output report written, per device path, in order */
  readonly written = new Map<string, number[][]>();
  /** set to make `list` fail (e.g. the USB stack hiccups) */
  failList = false;

  constructor(devices: HidDeviceInfo[] = []) {
    for (const d of devices) this.plug(d);
  }

  plug(device: HidDeviceInfo): void {
    this.devices.set(device.path, device);
  }

  /** The device disappears from the list and an open handle fails like a read on a vanished hidraw node. */
  unplug(path: string): void {
    this.devices.delete(path);
    const handle = this.handles.get(path);
    if (handle && !handle.closed) handle.emit('error', new Error('could not read from HID device'));
    this.handles.delete(path);
  }

  /** The device leaves the list but an open handle reports nothing (some unplugs look like this). */
  vanish(path: string): void {
    this.devices.delete(path);
  }

  /**
   * Pushes one input report to whoever opened `path`; false when nobody has it open. Send what hidraw
   * delivers (checked under the kernel in test/hil): a numbered report starts with its report id, an
   * unnumbered one has none, and ids the descriptor does not declare never arrive.
   */
  send(path: string, report: Uint8Array | readonly number[]): boolean {
    const handle = this.handles.get(path);
    if (!handle || handle.closed) return false;
    handle.emit('data', Buffer.from(report instanceof Uint8Array ? report : Uint8Array.from(report)));
    return true;
  }

  isOpen(path: string): boolean {
    const handle = this.handles.get(path);
    return handle !== undefined && !handle.closed;
  }

  async list(): Promise<HidDeviceInfo[]> {
    if (this.failList) throw new Error('fake: device enumeration failed');
    return [...this.devices.values()];
  }

  async open(path: string): Promise<HidDeviceHandle> {
    if (!this.devices.has(path)) throw new Error(`fake: no device at ${path}`);
    const handle = new FakeHandle(path, (report) => {
      const log = this.written.get(path) ?? [];
      log.push(report);
      this.written.set(path, log);
    });
    this.handles.set(path, handle);
    return handle;
  }
}
