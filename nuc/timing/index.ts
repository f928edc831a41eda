/** The timing gate: the start/finish line's crossings, from a GPIO sensor and the simulator. */
export { TimingGate, GATE_COUNTERS } from './gate.ts';
export type { Crossing, GateCounter } from './gate.ts';
export { assignCar, placeAt } from './assign-car.ts';
export type { Assignment, KnownPose, StartLine } from './assign-car.ts';
