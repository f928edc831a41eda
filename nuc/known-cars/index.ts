/** Which cars the NUC keeps state for, and the bus filter every NUC service puts in front of its handlers. */
export { carOf, carSources, forKnownCars, knownCars } from './known-cars.ts';
export type { CarSource, KnownCars } from './known-cars.ts';
