/**
 * A HID device made by the kernel's uhid driver: this process writes `struct uhid_event` records to
 * /dev/uhid (include/uapi/linux/uhid.h, Documentation/hid/uhid.rst) and the kernel creates a real HID
 * device from them, with a hidraw node that node-hid opens like any USB wheel. The encoding is pure and
 * unit-tested (uhid.test.ts); UhidDevice does the I/O inside the guest.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';

/** enum uhid_event_type */
export const UHID = {
  DESTROY: 1,
  START: 2,
  STOP: 3,
  OPEN: 4,
  CLOSE: 5,
  OUTPUT: 6,
  GET_REPORT: 9,
  GET_REPORT_REPLY: 10,
  CREATE2: 11,
  INPUT2: 12,
  SET_REPORT: 13,
  SET_REPORT_REPLY: 14,
} as const;

export const BUS_USB = 0x03;
export const UHID_DATA_MAX = 4096;
/** sizeof(struct uhid_event): the type, then the largest request (uhid_create2_req, 4372 bytes), packed */
export const UHID_EVENT_SIZE = 4 + 128 + 64 + 64 + 2 + 2 + 4 * 4 + UHID_DATA_MAX;
const EIO = 5;

export interface UhidDeviceSpec {
  readonly name: string;
  readonly vendorId: number;
  readonly productId: number;
  /** bcdDevice */
  readonly version?: number;
  readonly descriptor: Uint8Array;
  readonly bus?: number;
}

function ascii(target: Buffer, offset: number, length: number, text: string): void {
  target.write(text.slice(0, length - 1), offset, 'latin1');
}

/** UHID_CREATE2: name[128] phys[64] uniq[64] rd_size u16 bus u16 vendor u32 product u32 version u32 country u32 rd_data[4096]. */
export function encodeCreate2(spec: UhidDeviceSpec): Buffer {
  if (spec.descriptor.length === 0 || spec.descriptor.length > UHID_DATA_MAX) {
    throw new RangeError(`report descriptor must be 1..${UHID_DATA_MAX} bytes, got ${spec.descriptor.length}`);
  }
  const event = Buffer.alloc(UHID_EVENT_SIZE);
  event.writeUInt32LE(UHID.CREATE2, 0);
  ascii(event, 4, 128, spec.name);
  ascii(event, 132, 64, 'hil/uhid');
  event.writeUInt16LE(spec.descriptor.length, 260);
  event.writeUInt16LE(spec.bus ?? BUS_USB, 262);
  event.writeUInt32LE(spec.vendorId, 264);
  event.writeUInt32LE(spec.productId, 268);
  event.writeUInt32LE(spec.version ?? 0, 272);
  event.writeUInt32LE(0, 276);
  Buffer.from(spec.descriptor).copy(event, 280);
  return event;
}

/** UHID_INPUT2: size u16, data: one input report as the device would send it (report id first if numbered). */
export function encodeInput2(report: Uint8Array): Buffer {
  if (report.length > UHID_DATA_MAX) throw new RangeError(`input report of ${report.length} bytes exceeds ${UHID_DATA_MAX}`);
  const event = Buffer.alloc(4 + 2 + report.length);
  event.writeUInt32LE(UHID.INPUT2, 0);
  event.writeUInt16LE(report.length, 4);
  Buffer.from(report).copy(event, 6);
  return event;
}

export function encodeDestroy(): Buffer {
  const event = Buffer.alloc(4);
  event.writeUInt32LE(UHID.DESTROY, 0);
  return event;
}

/** The answer to a GET_REPORT (a feature read through hidraw): this device has none to give. */
export function encodeGetReportReply(id: number, errno = EIO): Buffer {
  const event = Buffer.alloc(4 + 4 + 2 + 2);
  event.writeUInt32LE(UHID.GET_REPORT_REPLY, 0);
  event.writeUInt32LE(id, 4);
  event.writeUInt16LE(errno, 8);
  return event;
}

export function encodeSetReportReply(id: number, errno = 0): Buffer {
  const event = Buffer.alloc(4 + 4 + 2);
  event.writeUInt32LE(UHID.SET_REPORT_REPLY, 0);
  event.writeUInt32LE(id, 4);
  event.writeUInt16LE(errno, 8);
  return event;
}

export type UhidKernelEvent =
  | { readonly type: 'start' | 'stop' | 'open' | 'close' }
  /** an output report the host wrote to the hidraw node (uhid_output_req: data[4096], size u16, rtype u8) */
  | { readonly type: 'output'; readonly data: Buffer; readonly reportType: number }
  | { readonly type: 'get-report' | 'set-report'; readonly id: number; readonly reportNumber: number }
  | { readonly type: 'unknown'; readonly code: number };

/** One event the kernel queued on /dev/uhid. */
export function decodeKernelEvent(event: Buffer): UhidKernelEvent {
  const code = event.readUInt32LE(0);
  switch (code) {
    case UHID.START:
      return { type: 'start' };
    case UHID.STOP:
      return { type: 'stop' };
    case UHID.OPEN:
      return { type: 'open' };
    case UHID.CLOSE:
      return { type: 'close' };
    case UHID.OUTPUT: {
      const size = Math.min(event.readUInt16LE(4 + UHID_DATA_MAX), UHID_DATA_MAX);
      return { type: 'output', data: Buffer.from(event.subarray(4, 4 + size)), reportType: event[4 + UHID_DATA_MAX + 2] ?? 0 };
    }
    case UHID.GET_REPORT:
      return { type: 'get-report', id: event.readUInt32LE(4), reportNumber: event[8] ?? 0 };
    case UHID.SET_REPORT:
      return { type: 'set-report', id: event.readUInt32LE(4), reportNumber: event[8] ?? 0 };
    default:
      return { type: 'unknown', code };
  }
}

/**
 * A live uhid device. Emits 'event' with each UhidKernelEvent; answers report requests itself so a
 * hidraw feature call never waits out the kernel's timeout.
 */
export class UhidDevice extends EventEmitter {
  private destroyed = false;
  readonly outputs: Buffer[] = [];

  private constructor(private readonly fd: number) {
    super();
    void this.readLoop();
  }

  static create(spec: UhidDeviceSpec, path = '/dev/uhid'): UhidDevice {
    const fd = fs.openSync(path, 'r+');
    fs.writeSync(fd, encodeCreate2(spec));
    return new UhidDevice(fd);
  }

  /** Resolves at the next kernel event of this type (e.g. 'open': someone opened the hidraw node). */
  next(type: UhidKernelEvent['type']): Promise<UhidKernelEvent> {
    return new Promise((resolve) => {
      const listener = (event: UhidKernelEvent): void => {
        if (event.type !== type) return;
        this.off('event', listener);
        resolve(event);
      };
      this.on('event', listener);
    });
  }

  input(report: Uint8Array): void {
    fs.writeSync(this.fd, encodeInput2(report));
  }

  /** Unplug: the kernel removes the HID device and its hidraw node at once. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    fs.writeSync(this.fd, encodeDestroy());
    // A read may still be blocked in the thread pool; it ends with the STOP/CLOSE the destroy queued.
    fs.closeSync(this.fd);
  }

  private async readLoop(): Promise<void> {
    const buffer = Buffer.alloc(UHID_EVENT_SIZE);
    while (!this.destroyed) {
      let bytesRead: number;
      try {
        bytesRead = await new Promise<number>((resolve, reject) => fs.read(this.fd, buffer, 0, buffer.length, null, (error, n) => (error ? reject(error) : resolve(n))));
      } catch {
        return;
      }
      if (this.destroyed || bytesRead < 4) continue;
      const event = decodeKernelEvent(buffer.subarray(0, bytesRead));
      if (event.type === 'get-report') fs.writeSync(this.fd, encodeGetReportReply(event.id));
      if (event.type === 'set-report') fs.writeSync(this.fd, encodeSetReportReply(event.id));
      if (event.type === 'output') this.outputs.push(event.data);
      this.emit('event', event);
    }
  }
}
