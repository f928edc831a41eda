/**
 * The real HID backend: node-hid over Linux hidraw. node-hid is a native addon that only loads where its
 * binary and libraries exist, so it is imported here lazily, the first time a real wheel is requested,
 * and never by tests or the simulator.
 */
import type * as NodeHidModule from 'node-hid';
import type { HidBackend, HidDeviceHandle, HidDeviceInfo } from './hid-backend.ts';

type NodeHid = typeof NodeHidModule;

/** The part of node-hid's HIDAsync the handle wraps. */
export interface NodeHidDevice {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- node-hid's EventEmitter signature
  on(event: string, listener: (...args: any[]) => void): unknown;
  write(report: number[]): Promise<number>;
  sendFeatureReport(report: number[]): Promise<number>;
  close(): Promise<void>;
}

/**
 * node-hid's HIDAsync emits 'error' with a plain string ("could not read from HID device", as seen
 * under the kernel when a hidraw node vanished mid-read), not an Error: the handle hands on an Error.
 */
export function wrapNodeHidDevice(device: NodeHidDevice): HidDeviceHandle {
  return {
    on: (event: string, listener: (value: unknown) => void) =>
      event === 'error'
        ? device.on('error', (error: unknown) => listener(error instanceof Error ? error : new Error(String(error))))
        : device.on(event, listener),
    write: (report: readonly number[]) => device.write([...report]),
    sendFeatureReport: (report: readonly number[]) => device.sendFeatureReport([...report]),
    close: () => device.close(),
  } as HidDeviceHandle;
}

export async function createNodeHidBackend(): Promise<HidBackend> {
  let hid: NodeHid;
  try {
    const loaded = (await import('node-hid')) as NodeHid & { default?: NodeHid };
    hid = loaded.default ?? loaded;
    hid.setDriverType('hidraw');
  } catch (error) {
    throw new Error(
      `node-hid could not be loaded, so no USB wheel can be used (${(error as Error).message}). ` +
        `Use wheel.device 'virtual' or the browser gamepad instead.`,
      { cause: error },
    );
  }
  return {
    async list(): Promise<HidDeviceInfo[]> {
      const devices = await hid.devicesAsync();
      return devices.flatMap((d) =>
        d.path
          ? [
              {
                vendorId: d.vendorId,
                productId: d.productId,
                path: d.path,
                release: d.release,
                ...(d.product !== undefined ? { product: d.product } : {}),
                ...(d.manufacturer !== undefined ? { manufacturer: d.manufacturer } : {}),
                interface: d.interface,
                ...(d.usagePage !== undefined ? { usagePage: d.usagePage } : {}),
                ...(d.usage !== undefined ? { usage: d.usage } : {}),
              },
            ]
          : [],
      );
    },
    async open(path: string): Promise<HidDeviceHandle> {
      return wrapNodeHidDevice(await hid.HIDAsync.open(path, { nonExclusive: true }));
    },
  };
}
