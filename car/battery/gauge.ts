/**
 * The battery gauge: samples the INA219 every sampleMs and keeps the latest reading with the low
 * battery judgement, for the actuator to report. A chip that does not answer never stops the caller:
 * the failure is counted, logged when it starts and when it ends, and the reading is withdrawn.
 */
import type { I2cWordBus } from '../actuator/index.ts';
import { Ina219, type Ina219Settings } from './ina219.ts';
import { LowBatteryJudge } from './low-battery.ts';

/** The volts and amps the car reports (telemetry's `battery`), rounded to what the chip resolves. */
export interface BatteryState {
  volts: number;
  amps: number;
  low: boolean;
}

export interface BatteryGaugeConfig extends Ina219Settings {
  address: number;
  sampleMs: number;
  lowVolts: number;
  hysteresisVolts: number;
}

export interface GaugeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** the low-battery judgement averages this long of readings */
const AVERAGE_OVER_MS = 2000;

export class BatteryGauge {
  readonly chip: Ina219;
  private readonly judge: LowBatteryJudge;
  private latest: BatteryState | undefined;
  private initialised = false;
  private failing = false;
  readonly counters = { readings: 0, failures: 0 };

  constructor(
    bus: Pick<I2cWordBus, 'readWord' | 'writeWord'>,
    private readonly config: BatteryGaugeConfig,
    private readonly log: GaugeLog,
  ) {
    this.chip = new Ina219(bus, config.address, config);
    this.judge = new LowBatteryJudge({ lowVolts: config.lowVolts, hysteresisVolts: config.hysteresisVolts, window: Math.max(1, Math.round(AVERAGE_OVER_MS / config.sampleMs)) });
  }

  /** The latest reading, or undefined while the chip does not answer. */
  get state(): BatteryState | undefined {
    return this.latest;
  }

  /**
   * One sample; resolves with the new state (never rejects). The first one only programs the chip:
   * its current register holds a number only after a conversion with the new calibration.
   */
  async sample(): Promise<BatteryState | undefined> {
    try {
      if (!this.initialised) {
        await this.chip.init();
        this.initialised = true;
        return this.latest;
      }
      const reading = await this.chip.read();
      const wasLow = this.judge.low;
      const low = this.judge.add(reading.volts);
      this.latest = { volts: round(reading.volts, 3), amps: round(reading.amps, 4), low };
      this.counters.readings++;
      if (this.failing) this.log.info({ address: hex(this.config.address) }, 'battery gauge answers again');
      this.failing = false;
      if (low !== wasLow) {
        if (low) this.log.warn({ volts: round(this.judge.average, 2), lowVolts: this.config.lowVolts }, 'battery low');
        else this.log.info({ volts: round(this.judge.average, 2) }, 'battery no longer low');
      }
    } catch (error) {
      this.counters.failures++;
      this.latest = undefined;
      this.initialised = false;
      this.judge.reset();
      if (!this.failing) {
        this.log.warn(
          { address: hex(this.config.address), err: (error as Error).message },
          'battery gauge (INA219) does not answer: no battery reading; check its wiring and address, or set car.battery.enabled false if none is fitted',
        );
      }
      this.failing = true;
    }
    return this.latest;
  }
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function hex(address: number): string {
  return `0x${address.toString(16)}`;
}
