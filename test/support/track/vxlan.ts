/**
 * VXLAN datagrams as the relay sees them: 8 bytes of VXLAN header, then the Ethernet frame. A host
 * hands its own TCP and UDP packets to the tunnel with the checksum left for the network card to
 * finish (checksum offload); crossing a veth into a user-space socket, it arrives unfinished, and
 * the other host would drop it. The relay finishes it here, as the card would have.
 */

const VXLAN_HEADER = 8;
const ETHERNET_HEADER = 14;
const IPV4 = 0x0800;
const TCP = 6;
const UDP = 17;

function sum16(bytes: Uint8Array, from: number, to: number, start: number): number {
  let sum = start;
  let i = from;
  for (; i + 1 < to; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < to) sum += bytes[i]! << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Writes the inner IPv4 TCP or UDP checksum of a VXLAN datagram in place; anything else is left as it is. */
export function finishInnerChecksum(datagram: Buffer): void {
  const eth = VXLAN_HEADER;
  if (datagram.length < eth + ETHERNET_HEADER + 20) return;
  if (datagram.readUInt16BE(eth + 12) !== IPV4) return;
  const ip = eth + ETHERNET_HEADER;
  const headerLength = (datagram[ip]! & 0x0f) * 4;
  const totalLength = datagram.readUInt16BE(ip + 2);
  const fragment = datagram.readUInt16BE(ip + 6);
  // a fragment (offset set, or more to come) has no whole segment to sum
  if ((fragment & 0x3fff) !== 0 || headerLength < 20 || ip + totalLength > datagram.length) return;
  const protocol = datagram[ip + 9]!;
  const l4 = ip + headerLength;
  const l4Length = totalLength - headerLength;
  const at = protocol === TCP ? l4 + 16 : protocol === UDP ? l4 + 6 : -1;
  if (at < 0 || l4 + l4Length < at + 2) return;
  // UDP's checksum 0 means "none": keep it so
  if (protocol === UDP && datagram.readUInt16BE(at) === 0) return;
  datagram.writeUInt16BE(0, at);
  let sum = sum16(datagram, ip + 12, ip + 20, 0); // source and destination
  sum += protocol + l4Length;
  sum = sum16(datagram, l4, l4 + l4Length, sum);
  let checksum = ~fold(sum) & 0xffff;
  if (protocol === UDP && checksum === 0) checksum = 0xffff;
  datagram.writeUInt16BE(checksum, at);
}

/** The inner IPv4 TCP segment's ports of a VXLAN datagram, or undefined when it carries none. */
export function innerTcpPorts(datagram: Buffer): { source: number; destination: number } | undefined {
  const eth = VXLAN_HEADER;
  if (datagram.length < eth + ETHERNET_HEADER + 20 || datagram.readUInt16BE(eth + 12) !== IPV4) return undefined;
  const ip = eth + ETHERNET_HEADER;
  const l4 = ip + (datagram[ip]! & 0x0f) * 4;
  if (datagram[ip + 9] !== TCP || (datagram.readUInt16BE(ip + 6) & 0x1fff) !== 0 || datagram.length < l4 + 4) return undefined;
  return { source: datagram.readUInt16BE(l4), destination: datagram.readUInt16BE(l4 + 2) };
}
