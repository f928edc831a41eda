/** Small readers for HID report bytes. */

export const u16le = (data: Uint8Array, offset: number): number => (data[offset] ?? 0) | ((data[offset + 1] ?? 0) << 8);

export const bit = (data: Uint8Array, bitIndex: number): boolean =>
  (((data[bitIndex >> 3] ?? 0) >> (bitIndex & 7)) & 1) === 1;

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`not a hex byte string: "${hex.slice(0, 40)}"`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export const bytesToHex = (data: Uint8Array): string => Buffer.from(data).toString('hex');

/**
 * Buttons from a run of bits: bit `firstBit + i` is button i, named `names[i]` when known.
 * Every button is also reachable as `b<i>`, so any button can be bound in config.
 */
export function readButtons(
  data: Uint8Array,
  firstBit: number,
  count: number,
  names: readonly (string | undefined)[],
  into: Set<string>,
): void {
  for (let i = 0; i < count; i++) {
    if (!bit(data, firstBit + i)) continue;
    into.add(`b${i}`);
    const name = names[i];
    if (name) into.add(name);
  }
}

/** Standard HID hat switch: 0 = up, clockwise in 45° steps; anything above 7 is centred (null state). */
export function readHat(value: number, into: Set<string>): void {
  if (value > 7) return;
  if (value === 7 || value <= 1) into.add('dpad_up');
  if (value >= 1 && value <= 3) into.add('dpad_right');
  if (value >= 3 && value <= 5) into.add('dpad_down');
  if (value >= 5 && value <= 7) into.add('dpad_left');
}

/** A hat nibble is 0..7 or its null state (8 on Logitech, 15 on Thrustmaster); 9..14 means a garbled report. */
export const isValidHat = (value: number): boolean => value <= 8 || value === 15;
