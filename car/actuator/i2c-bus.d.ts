// i2c-bus ships no types: the part of its promise API this folder uses.
declare module 'i2c-bus' {
  export interface PromisifiedBus {
    writeByte(address: number, command: number, byte: number): Promise<void>;
    readByte(address: number, command: number): Promise<number>;
    writeI2cBlock(
      address: number,
      command: number,
      length: number,
      buffer: Buffer,
    ): Promise<{ bytesWritten: number; buffer: Buffer }>;
    readI2cBlock(
      address: number,
      command: number,
      length: number,
      buffer: Buffer,
    ): Promise<{ bytesRead: number; buffer: Buffer }>;
    close(): Promise<void>;
  }
  export function openPromisified(busNumber: number, options?: { forceAccess?: boolean }): Promise<PromisifiedBus>;
  const i2c: { openPromisified: typeof openPromisified };
  export default i2c;
}
