import { describe, expect, it } from 'vitest';
import { cellRestingVolts, DEFAULT_SIM_BATTERY, SimBattery } from './battery.ts';

describe('simulated LiPo battery', () => {
  it('rests at 4.2 V a cell full and falls along the discharge curve', () => {
    expect(cellRestingVolts(1)).toBeCloseTo(4.2, 9);
    expect(cellRestingVolts(0.5)).toBeCloseTo(3.835, 3);
    expect(cellRestingVolts(0)).toBeCloseTo(3.27, 9);
    expect(cellRestingVolts(-1)).toBe(cellRestingVolts(0));
  });

  it('drains faster and sags more with throttle', () => {
    const idle = new SimBattery();
    const racing = new SimBattery();
    for (let i = 0; i < 600; i++) {
      idle.step(0.1, 0);
      racing.step(0.1, i % 2 === 0 ? 1 : -1);
    }
    expect(racing.amps).toBeCloseTo(DEFAULT_SIM_BATTERY.idleA + DEFAULT_SIM_BATTERY.motorFullA, 9);
    expect(idle.amps).toBeCloseTo(DEFAULT_SIM_BATTERY.idleA, 9);
    // a minute: 0.45 A uses 7.5 mAh, 2.85 A uses 47.5 mAh of 2200
    expect(1 - idle.stateOfCharge).toBeCloseTo(7.5 / 2200, 5);
    expect(1 - racing.stateOfCharge).toBeCloseTo(47.5 / 2200, 5);
    expect(racing.volts).toBeLessThan(idle.volts - 2 * 2.4 * 0.03 + 1e-6);
  });

  it('stops at empty, and refuses a pack that cannot exist', () => {
    const pack = new SimBattery({ ...DEFAULT_SIM_BATTERY, capacityMah: 1 });
    for (let i = 0; i < 100; i++) pack.step(1, 1);
    expect(pack.stateOfCharge).toBe(0);
    expect(pack.amps).toBe(0);
    expect(pack.volts).toBeCloseTo(2 * 3.27, 9);
    expect(() => new SimBattery({ ...DEFAULT_SIM_BATTERY, startCharge: 2 })).toThrow(/startCharge 0\.\.1/);
  });
});
