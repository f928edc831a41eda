import { describe, expect, it } from 'vitest';
import { BUS_USB, decodeKernelEvent, encodeCreate2, encodeGetReportReply, encodeInput2, UHID, UHID_DATA_MAX, UHID_EVENT_SIZE } from './uhid.ts';

describe('struct uhid_event encoding (include/uapi/linux/uhid.h, packed)', () => {
  it('is 4376 bytes: the type and uhid_create2_req', () => {
    expect(UHID_EVENT_SIZE).toBe(4376);
  });

  it('lays out UHID_CREATE2 as the kernel reads it', () => {
    const descriptor = Uint8Array.from([0x05, 0x01, 0x09, 0x04, 0xa1, 0x01, 0xc0]);
    const event = encodeCreate2({ name: 'Logitech G29 Driving Force Racing Wheel', vendorId: 0x046d, productId: 0xc260, version: 0x8900, descriptor });
    expect(event).toHaveLength(UHID_EVENT_SIZE);
    expect(event.readUInt32LE(0)).toBe(UHID.CREATE2);
    expect(event.toString('latin1', 4, 4 + 39)).toBe('Logitech G29 Driving Force Racing Wheel');
    expect(event[4 + 39]).toBe(0); // NUL-terminated
    expect(event.readUInt16LE(260)).toBe(descriptor.length);
    expect(event.readUInt16LE(262)).toBe(BUS_USB);
    expect([event.readUInt32LE(264), event.readUInt32LE(268), event.readUInt32LE(272)]).toEqual([0x046d, 0xc260, 0x8900]);
    expect([...event.subarray(280, 280 + descriptor.length)]).toEqual([...descriptor]);
    expect(() => encodeCreate2({ name: 'x', vendorId: 1, productId: 1, descriptor: new Uint8Array(UHID_DATA_MAX + 1) })).toThrow(/1\.\.4096 bytes/);
  });

  it('sends an input report with its report id byte as the first data byte', () => {
    const event = encodeInput2(Uint8Array.from([0x07, 0x00, 0x80]));
    expect([...event]).toEqual([UHID.INPUT2, 0, 0, 0, 3, 0, 0x07, 0x00, 0x80]);
  });

  it('decodes what the kernel queues: open, output reports and report requests', () => {
    const open = Buffer.alloc(UHID_EVENT_SIZE);
    open.writeUInt32LE(UHID.OPEN, 0);
    expect(decodeKernelEvent(open)).toEqual({ type: 'open' });

    const output = Buffer.alloc(UHID_EVENT_SIZE);
    output.writeUInt32LE(UHID.OUTPUT, 0);
    Buffer.from([0x00, 0xf8, 0x81]).copy(output, 4);
    output.writeUInt16LE(3, 4 + UHID_DATA_MAX);
    output[4 + UHID_DATA_MAX + 2] = 1;
    expect(decodeKernelEvent(output)).toEqual({ type: 'output', data: Buffer.from([0x00, 0xf8, 0x81]), reportType: 1 });

    const getReport = Buffer.alloc(UHID_EVENT_SIZE);
    getReport.writeUInt32LE(UHID.GET_REPORT, 0);
    getReport.writeUInt32LE(42, 4);
    getReport[8] = 0x03;
    expect(decodeKernelEvent(getReport)).toEqual({ type: 'get-report', id: 42, reportNumber: 3 });
    expect([...encodeGetReportReply(42)]).toEqual([UHID.GET_REPORT_REPLY, 0, 0, 0, 42, 0, 0, 0, 5, 0, 0, 0]);
  });
});
