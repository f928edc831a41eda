import { describe, expect, it } from 'vitest';
import { finishInnerChecksum, innerTcpPorts } from './vxlan.ts';

/** A VXLAN datagram carrying an IPv4 TCP segment whose checksum (RFC 793) is `checksum`. */
function tcpDatagram(payload: Buffer, checksum: number): Buffer {
  const tcp = Buffer.alloc(20 + payload.length);
  tcp.writeUInt16BE(40000, 0);
  tcp.writeUInt16BE(5559, 2);
  tcp.writeUInt32BE(1, 4);
  tcp.writeUInt32BE(2, 8);
  tcp[12] = 5 << 4;
  tcp[13] = 0x18;
  tcp.writeUInt16BE(64240, 14);
  tcp.writeUInt16BE(checksum, 16);
  payload.copy(tcp, 20);
  const ip = Buffer.from([0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 42, 0, 2, 10, 42, 0, 1]);
  ip.writeUInt16BE(20 + tcp.length, 2);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([Buffer.from([0x08, 0, 0, 0, 0, 0, 42, 0]), eth, ip, tcp]);
}

describe('finishing the inner checksum', () => {
  it('writes the TCP checksum an offloading card would have', () => {
    // computed independently: pseudo-header + header + "hello" folded, for these exact bytes
    const datagram = tcpDatagram(Buffer.from('hello'), 0x1234);
    finishInnerChecksum(datagram);
    const tcpAt = 8 + 14 + 20;
    const check = datagram.readUInt16BE(tcpAt + 16);
    // verifying: the sum over pseudo-header and segment with the checksum in is 0xffff
    let sum = 0;
    const ip = 8 + 14;
    for (let i = ip + 12; i < ip + 20; i += 2) sum += datagram.readUInt16BE(i);
    sum += 6 + (datagram.length - tcpAt);
    const segment = Buffer.concat([datagram.subarray(tcpAt), Buffer.alloc((datagram.length - tcpAt) % 2)]);
    for (let i = 0; i < segment.length; i += 2) sum += segment.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
    expect(check).not.toBe(0x1234);
  });

  it('leaves a correct checksum as it was, and frames it cannot read alone', () => {
    const datagram = tcpDatagram(Buffer.from('again!'), 0);
    finishInnerChecksum(datagram);
    const once = Buffer.from(datagram);
    finishInnerChecksum(datagram);
    expect(datagram.equals(once)).toBe(true);
    const arp = Buffer.alloc(8 + 14 + 28);
    arp.writeUInt16BE(0x0806, 8 + 12);
    const copy = Buffer.from(arp);
    finishInnerChecksum(arp);
    expect(arp.equals(copy)).toBe(true);
  });
});

describe('reading the inner TCP ports', () => {
  it('gives the ports of a TCP segment and nothing for anything else', () => {
    const datagram = tcpDatagram(Buffer.from('hello'), 0);
    expect(innerTcpPorts(datagram)).toEqual({ source: 40000, destination: 5559 });
    const udp = Buffer.from(datagram);
    udp[8 + 14 + 9] = 17;
    expect(innerTcpPorts(udp)).toBeUndefined();
    expect(innerTcpPorts(datagram.subarray(0, 30))).toBeUndefined();
  });
});
