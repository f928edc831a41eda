/**
 * Turns the browser's driving input and control actions into `car/<id>/control` messages. An action
 * (mode, estop, recording) has to carry an angle and throttle too: it repeats the driver's latest
 * browser input while that is fresh, else neutral, so pressing a button never jerks the wheel.
 */
import type { FieldsOf } from '../../protocol/index.ts';
import type { CarAction } from './actions.ts';
import type { BrowserControl } from './browser-input.ts';

export type ControlFields = FieldsOf<'control'>;
/** Where control messages go: the bus publisher in the service, a recorder in tests. */
export type ControlSink = (car: string, fields: ControlFields) => void;

export interface ControlRelayOptions {
  /** browser input older than this is not repeated by an action */
  inputFreshMs?: number;
  now?: () => number;
}

export class ControlRelay {
  private readonly latest = new Map<string, { control: BrowserControl; at: number }>();
  private readonly inputFreshMs: number;
  private readonly now: () => number;
  inputs = 0;
  actions = 0;

  constructor(
    private readonly sink: ControlSink,
    options: ControlRelayOptions = {},
  ) {
    this.inputFreshMs = options.inputFreshMs ?? 500;
    this.now = options.now ?? Date.now;
  }

  input(car: string, control: BrowserControl): void {
    this.latest.set(car, { control, at: this.now() });
    this.inputs++;
    this.sink(car, { ...control });
  }

  /** Forgets a car gone silent (its latest browser input). */
  forget(car: string): void {
    this.latest.delete(car);
  }

  action(car: string, action: CarAction): ControlFields {
    const recent = this.latest.get(car);
    const fresh = recent !== undefined && this.now() - recent.at <= this.inputFreshMs;
    const fields: ControlFields = {
      angle: fresh ? recent.control.angle : 0,
      throttle: fresh && action.estop !== true ? recent.control.throttle : 0,
      input: 'browser',
      ...action,
    };
    this.actions++;
    this.sink(car, fields);
    return fields;
  }
}
