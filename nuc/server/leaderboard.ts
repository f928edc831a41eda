/**
 * Lap times from the cars' telemetry (`sim.lastLapS`), kept in memory: the fastest laps overall and
 * each car's best. A lap is recorded once, when the car's completed-lap count goes up, and only if
 * the NUC watched it take about as long as reported (LapWatch).
 */
import type { SimState } from '../../protocol/index.ts';
import { LapWatch } from './lap-watch.ts';

export interface LapRecord {
  car: string;
  /** the car's completed-lap count when this lap ended */
  lap: number;
  timeS: number;
  /** wall clock (ms) when the NUC saw it */
  at: number;
}

export interface CarLaps {
  car: string;
  laps: number;
  lastLapS?: number;
  bestLapS?: number;
}

/** The board as the screens show it: the fastest laps overall and each car's laps. */
export interface LeaderboardData {
  top: LapRecord[];
  cars: CarLaps[];
}

export class Leaderboard {
  private readonly laps: LapRecord[] = [];
  private readonly watch = new LapWatch();
  private readonly perCar = new Map<string, CarLaps>();

  constructor(private readonly keep = 200) {}

  /** Returns the new lap when this telemetry completes one. */
  ingest(car: string, sim: SimState, now = Date.now()): LapRecord | undefined {
    const timeS = sim.lastLapS !== undefined && Number.isFinite(sim.lastLapS) && sim.lastLapS > 0 ? sim.lastLapS : undefined;
    if (!this.watch.observe(car, sim.lap, timeS, now) || timeS === undefined) return undefined;
    const record: LapRecord = { car, lap: sim.lap, timeS, at: now };
    this.laps.push(record);
    this.laps.sort((a, b) => a.timeS - b.timeS || a.at - b.at);
    if (this.laps.length > this.keep) this.laps.length = this.keep;
    const summary = this.perCar.get(car) ?? { car, laps: 0 };
    summary.laps++;
    summary.lastLapS = record.timeS;
    summary.bestLapS = Math.min(summary.bestLapS ?? Infinity, record.timeS);
    this.perCar.set(car, summary);
    return record;
  }

  /** The fastest laps overall, fastest first. */
  top(limit = 10): LapRecord[] {
    return this.laps.slice(0, limit).map((lap) => ({ ...lap }));
  }

  cars(): CarLaps[] {
    return [...this.perCar.values()].map((c) => ({ ...c })).sort((a, b) => (a.bestLapS ?? Infinity) - (b.bestLapS ?? Infinity));
  }

  /** The `limit` fastest laps and every car's summary. */
  board(limit: number): LeaderboardData {
    return { top: this.top(limit), cars: this.cars() };
  }
}
