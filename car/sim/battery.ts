/**
 * The simulated car's battery: a LiPo pack whose charge drains with the current it delivers, and whose
 * voltage follows the charge (a LiPo cell's resting-voltage curve) and sags under load (internal
 * resistance). The current is the electronics' idle draw plus the motor's, which grows with |throttle|.
 * Pure: the sim service steps it with the throttle the physics read from the emulated PCA9685.
 */

export interface SimBatteryParams {
  cells: number;
  capacityMah: number;
  /** charge at start, 0..1 */
  startCharge: number;
  /** the Pi, camera and servo at rest, A */
  idleA: number;
  /** the motor's draw at full throttle, A (on top of idleA) */
  motorFullA: number;
  /** per cell, Ω */
  cellResistanceOhms: number;
}

export const DEFAULT_SIM_BATTERY: SimBatteryParams = {
  cells: 2,
  capacityMah: 2200,
  startCharge: 1,
  idleA: 0.45,
  motorFullA: 2.4,
  cellResistanceOhms: 0.03,
};

/** A LiPo cell's resting voltage by state of charge (a typical discharge curve). */
const CELL_CURVE: readonly (readonly [charge: number, volts: number])[] = [
  [0, 3.27],
  [0.05, 3.5],
  [0.1, 3.68],
  [0.2, 3.74],
  [0.4, 3.8],
  [0.6, 3.87],
  [0.8, 4.0],
  [0.9, 4.08],
  [1, 4.2],
];

export function cellRestingVolts(charge: number): number {
  const c = Math.min(1, Math.max(0, charge));
  for (let i = 1; i < CELL_CURVE.length; i++) {
    const [c1, v1] = CELL_CURVE[i]!;
    if (c <= c1) {
      const [c0, v0] = CELL_CURVE[i - 1]!;
      return v0 + ((v1 - v0) * (c - c0)) / (c1 - c0);
    }
  }
  return CELL_CURVE.at(-1)![1];
}

export class SimBattery {
  private charge: number;
  private current: number;

  constructor(readonly params: SimBatteryParams = DEFAULT_SIM_BATTERY) {
    if (!(params.cells >= 1 && params.capacityMah > 0 && params.startCharge >= 0 && params.startCharge <= 1)) {
      throw new RangeError(`a simulated battery needs cells ≥ 1, capacityMah > 0 and startCharge 0..1, got ${JSON.stringify(params)}`);
    }
    this.charge = params.startCharge;
    this.current = params.idleA;
  }

  /** Draws for dt seconds at this throttle (-1..1; reverse draws as forward does). */
  step(dt: number, throttle: number): void {
    if (!(dt > 0) || !Number.isFinite(dt)) return;
    const load = Number.isFinite(throttle) ? Math.min(1, Math.abs(throttle)) : 0;
    // an empty pack gives nothing more than a trickle: its voltage collapses instead
    this.current = this.charge > 0 ? this.params.idleA + this.params.motorFullA * load : 0;
    const usedMah = (this.current * dt * 1000) / 3600;
    this.charge = Math.max(0, this.charge - usedMah / this.params.capacityMah);
  }

  /** State of charge, 0..1. */
  get stateOfCharge(): number {
    return this.charge;
  }

  /** The current the pack delivers now, A. */
  get amps(): number {
    return this.current;
  }

  /** The pack's terminal voltage now: resting voltage minus the sag across its internal resistance. */
  get volts(): number {
    const { cells, cellResistanceOhms } = this.params;
    return Math.max(0, cells * (cellRestingVolts(this.charge) - this.current * cellResistanceOhms));
  }
}
