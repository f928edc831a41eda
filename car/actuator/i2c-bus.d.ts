// i2c-bus ships no types: the part of its promise API this folder uses.
declare module 'i2c-bus' {
  export interface PromisifiedBus {
    writeByte(address: number, command: number, byte: number): Promise<void>;
    readByte(address: number, command: number): Promise<number>;
    /** SMBus read word: the first byte on the wire is the low byte of the value. */
    readWord(address: number, command: number): Promise<number>;
    writeWord(address: number, command: number, word: number): Promise<void>;
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
    /** What the adapter can carry (I2C_FUNCS ioctl); the driver picks its transfer mode from it. */
    i2cFuncs(): Promise<I2cFuncs>;
    close(): Promise<void>;
  }
  export interface I2cFuncs {
    i2c: boolean;
    smbusReadByte: boolean;
    smbusWriteByte: boolean;
    smbusReadI2cBlock: boolean;
    smbusWriteI2cBlock: boolean;
  }
  export function openPromisified(busNumber: number, options?: { forceAccess?: boolean }): Promise<PromisifiedBus>;
  const i2c: { openPromisified: typeof openPromisified };
  export default i2c;
}
