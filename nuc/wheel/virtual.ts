/**
 * The `virtual` wheel for the demo and tests: driven programmatically with the values a real wheel
 * would report (16-bit steering, 8-bit inverted pedals where 255 is released) and mapped exactly like one.
 */
import type { ControlMapper } from './mapper.ts';
import type { WheelControl, WheelReport } from './types.ts';
import { WheelCounters } from './counters.ts';

export interface VirtualWheelState {
  /** 0 full left, 32768 centre, 65535 full right */
  steering16: number;
  /** 8-bit pedals, inverted as in the talk: 255 released, 0 fully pressed */
  throttle8: number;
  brake8: number;
  clutch8: number;
  buttons: readonly string[];
}

const LIMITS = { steering16: 65535, throttle8: 255, brake8: 255, clutch8: 255 } as const;

export class VirtualWheel {
  private current: VirtualWheelState = { steering16: 32768, throttle8: 255, brake8: 255, clutch8: 255, buttons: [] };

  constructor(
    private readonly mapper: ControlMapper,
    private readonly onControl: (control: WheelControl) => void,
    readonly counters = new WheelCounters(),
  ) {}

  get state(): Readonly<VirtualWheelState> {
    return this.current;
  }

  /** Updates some fields and emits the mapped control. Throws a RangeError naming a bad value; nothing changes then. */
  set(patch: Partial<VirtualWheelState>): WheelControl {
    for (const key of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
      const value = patch[key];
      if (value === undefined) continue;
      if (!Number.isInteger(value) || value < 0 || value > LIMITS[key]) {
        this.counters.ignore('invalid');
        throw new RangeError(`virtual wheel: ${key} must be an integer 0..${LIMITS[key]}, got ${String(value)}`);
      }
    }
    this.current = { ...this.current, ...patch };
    return this.emit();
  }

  /** Press then release a button: one press edge, as a real button gives. */
  tap(button: string): WheelControl {
    this.set({ buttons: [...this.current.buttons, button] });
    return this.set({ buttons: this.current.buttons.filter((b) => b !== button) });
  }

  private emit(): WheelControl {
    const s = this.current;
    const report: WheelReport = {
      steering: { value: s.steering16, bits: 16 },
      throttle: { value: s.throttle8, bits: 8, inverted: true },
      brake: { value: s.brake8, bits: 8, inverted: true },
      clutch: { value: s.clutch8, bits: 8, inverted: true },
      buttons: new Set(s.buttons),
    };
    this.counters.parsed++;
    const control = this.mapper.mapReport(report, 'virtual');
    this.counters.controls++;
    this.onControl(control);
    return control;
  }
}
