import { describe, expect, it } from 'vitest';
import { newlyClosedTubs, tubIsOfCar } from './tub-watch.ts';

describe('tub watch', () => {
  it('matches the recorder tub names of a car, and not of a car with a longer id', () => {
    expect(tubIsOfCar('2024-05-17_10-30-05_car7', '7')).toBe(true);
    expect(tubIsOfCar('2024-05-17_10-30-05_car7_2', '7')).toBe(true);
    expect(tubIsOfCar('2024-05-17_10-30-05_car70', '7')).toBe(false);
  });

  it('closes a tub once it is quiet, unseen and its car has stopped recording', () => {
    const tubs = [
      { name: '2024-05-17_10-30-05_car1', changedAtMs: 0 },
      { name: '2024-05-17_10-31-00_car2', changedAtMs: 0 },
      { name: '2024-05-17_10-32-00_car3', changedAtMs: 9_000 },
      { name: 'old', changedAtMs: 0 },
    ];
    const closed = newlyClosedTubs(tubs, { nowMs: 10_000, quietMs: 5000, recordingCars: new Set(['2']), alreadySeen: (n) => n === 'old' });
    expect(closed).toEqual(['2024-05-17_10-30-05_car1']);
  });
});
