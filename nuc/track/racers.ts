/**
 * Racer registration: a name and a colour for a car, shown on every view (timekeeper, overlay,
 * standings, results). A car not registered shows as "Car <id>" in its bus colour.
 */
import { carColourHex } from '../../protocol/index.ts';

export interface Racer {
  car: string;
  name: string;
  /** #rrggbb */
  colour: string;
}

export const MAX_RACERS = 64;

export class RacerBook {
  private readonly byCar = new Map<string, Racer>();

  constructor(racers: readonly Racer[] = []) {
    for (const racer of racers) this.byCar.set(racer.car, racer);
  }

  list(): Racer[] {
    return [...this.byCar.values()];
  }

  has(car: string): boolean {
    return this.byCar.has(car);
  }

  /** The racer driving `car`, or the car's own name and colour. */
  of(car: string): Racer {
    return this.byCar.get(car) ?? { car, name: `Car ${car}`, colour: carColourHex(car) };
  }

  /** Registers or renames; false when the book is full. */
  set(racer: Racer): boolean {
    if (!this.byCar.has(racer.car) && this.byCar.size >= MAX_RACERS) return false;
    this.byCar.set(racer.car, racer);
    return true;
  }

  remove(car: string): boolean {
    return this.byCar.delete(car);
  }
}
