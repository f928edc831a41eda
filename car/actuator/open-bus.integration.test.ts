import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHardwareI2c } from './i2c.ts';
import { openConfiguredI2c, openDriveOutputs } from './open-bus.ts';
import { EmulatedPca9685, serveI2c } from '../sim/index.ts';
import { DEFAULT_THROTTLE } from '../../runtime/index.ts';

/** Runs `body` against an emulated chip served as the simulator serves it, on a socket in a temp folder. */
async function withSimulatorBus(body: (chip: EmulatedPca9685, simSocket: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'open-bus-'));
  const simSocket = join(dir, 'i2c.sock');
  const chip = new EmulatedPca9685();
  const server = await serveI2c(chip, simSocket);
  try {
    await body(chip, simSocket);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('choosing the I2C bus from configuration', () => {
  it('explains a missing hardware bus', async () => {
    await expect(openHardwareI2c(97)).rejects.toThrow(
      "I2C bus 97 (/dev/i2c-97) not found: enable I2C (raspi-config) or set i2c.bus to 'sim'",
    );
  });

  it('refuses an unknown bus name', async () => {
    await expect(openConfiguredI2c({ bus: 'usb' as unknown as 'sim' })).rejects.toThrow(/unknown I2C bus "usb"/);
    await expect(openConfiguredI2c({ bus: -1 })).rejects.toThrow(/non-negative integer or 'sim'/);
  });

  it("opens the simulator's bus and arms the outputs at neutral", async () => {
    await withSimulatorBus(async (chip, simSocket) => {
      const { bus, outputs } = await openDriveOutputs({ i2c: { bus: 'sim', simSocket } });
      expect(chip.count(0)).toBe(370);
      expect(chip.pulseMicros(0)).toBeGreaterThan(1500);
      await outputs.stop();
      await bus.close();
    });
  });

  it('refuses a bad calibration before writing anything, and closes the bus', async () => {
    await withSimulatorBus(async (chip, simSocket) => {
      await expect(
        openDriveOutputs({ i2c: { bus: 'sim', simSocket }, throttle: { ...DEFAULT_THROTTLE, forwardCount: 5000 } }),
      ).rejects.toThrow(/throttle\.forwardCount/);
      expect(chip.writeCount).toBe(0);
    });
  });
});
