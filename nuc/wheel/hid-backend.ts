/**
 * The HID access the wheel input needs, behind an interface so tests and the simulator never load the
 * native node-hid binary (node-hid-backend.ts is the real one; tests use test/support/fake-hid.ts).
 */

export interface HidDeviceInfo {
  readonly vendorId: number;
  readonly productId: number;
  /** what `open` takes: /dev/hidrawN on Linux */
  readonly path: string;
  /** bcdDevice: tells a Logitech multimode wheel's real model while it is in a compatibility mode */
  readonly release?: number;
  readonly product?: string;
  readonly manufacturer?: string;
  readonly interface?: number;
  readonly usagePage?: number;
  readonly usage?: number;
}

export interface HidDeviceHandle {
  on(event: 'data', listener: (data: Uint8Array) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** byte 0 is the report id (0x00 for devices without numbered reports) */
  write(report: readonly number[]): number | Promise<number>;
  sendFeatureReport?(report: readonly number[]): number | Promise<number>;
  close(): void | Promise<void>;
}

export interface HidBackend {
  list(): Promise<HidDeviceInfo[]>;
  open(path: string): Promise<HidDeviceHandle>;
}

export const formatId = (vendorId: number, productId: number): string =>
  `${vendorId.toString(16).padStart(4, '0')}:${productId.toString(16).padStart(4, '0')}`;

/** Parses a `vvvv:pppp` hex id as written in config; undefined when it is not one. */
export function parseDeviceId(text: string): { vendorId: number; productId: number } | undefined {
  const match = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$/.exec(text.trim());
  if (!match) return undefined;
  return { vendorId: parseInt(match[1] ?? '', 16), productId: parseInt(match[2] ?? '', 16) };
}
