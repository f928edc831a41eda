/**
 * Any other HID wheel or gamepad: a guided calibration finds where steering and pedals sit in its input
 * report, and the resulting `GenericCalibration` (saved in config) drives a generic profile.
 *
 * Steps: hold still (centre, pedals released) → turn to the left stop → turn to the right stop → press
 * the gas fully → press the brake fully (skippable) → press the clutch fully (skippable). The calibrator
 * is a pure state machine: feed it raw reports, call next() when the user confirms a step.
 */
import { clampUnit, type GenericCalibration } from '../../runtime/index.ts';
import { bit } from './bytes.ts';
import type { WheelProfile } from './profiles/index.ts';
import { ignored, state, type ParseResult, type PedalSample } from './types.ts';
import { formatId } from './hid-backend.ts';

type Field = { offset: number; size: 8 | 16 };

export type CalibrationStep = 'center' | 'left' | 'right' | 'throttle' | 'brake' | 'clutch' | 'done';

export const CALIBRATION_INSTRUCTIONS: Record<CalibrationStep, string> = {
  center: 'Centre the wheel, release all pedals and keep still, then press Next.',
  left: 'Turn the wheel to its left stop and hold it there, then press Next.',
  right: 'Turn the wheel to its right stop and hold it there, then press Next.',
  throttle: 'Press the gas pedal fully and release it, then press Next.',
  brake: 'Press the brake pedal fully and release it, then press Next (or Skip).',
  clutch: 'Press the clutch pedal fully and release it, then press Next (or Skip).',
  done: 'Calibration complete.',
};

export class CalibrationError extends Error {}

const ORDER: CalibrationStep[] = ['center', 'left', 'right', 'throttle', 'brake', 'clutch', 'done'];
const MIN_TRAVEL = 0.1;
const MAX_BUTTONS = 64;

const fieldValue = (data: Uint8Array, f: Field): number =>
  f.size === 8 ? (data[f.offset] ?? 0) : (data[f.offset] ?? 0) | ((data[f.offset + 1] ?? 0) << 8);
const fullScale = (f: Field): number => (f.size === 8 ? 255 : 65535);
const fieldBytes = (f: Field): number[] => (f.size === 8 ? [f.offset] : [f.offset, f.offset + 1]);

export class GenericCalibrator {
  private current: CalibrationStep = 'center';
  private readonly reports = new Map<CalibrationStep, Uint8Array[]>();
  private layout: { reportLength: number; reportId?: number } | undefined;
  private steering: GenericCalibration['steering'] | undefined;
  private readonly pedals: Partial<Record<'throttle' | 'brake' | 'clutch', GenericCalibration['throttle']>> = {};

  constructor(private readonly device: { vendorId: number; productId: number }) {}

  get step(): CalibrationStep {
    return this.current;
  }

  get instruction(): string {
    return CALIBRATION_INSTRUCTIONS[this.current];
  }

  feed(report: Uint8Array): void {
    if (this.current === 'done' || report.length === 0) return;
    if (this.layout && !this.isStateReport(report)) return;
    const list = this.reports.get(this.current) ?? [];
    // a few seconds of reports is plenty; keep the first and the latest ones
    if (list.length >= 20_000) list.splice(1, 1);
    list.push(Uint8Array.from(report));
    this.reports.set(this.current, list);
  }

  /** Ends the current step. Throws a CalibrationError saying what was not seen; the step can be redone. */
  next(): CalibrationStep {
    const seen = this.reports.get(this.current) ?? [];
    switch (this.current) {
      case 'done':
        return 'done';
      case 'center':
        if (seen.length === 0) throw new CalibrationError('no report received from the device yet');
        this.layout = detectLayout(seen);
        break;
      case 'left':
        if (seen.length === 0) throw new CalibrationError('no report received while at the left stop');
        break;
      case 'right':
        this.steering = this.detectSteering(seen);
        break;
      default:
        this.pedals[this.current] = this.detectPedal(this.current, seen);
    }
    return this.advance();
  }

  /** Brake and clutch may be skipped (a gamepad may have one trigger only). */
  skip(): CalibrationStep {
    if (this.current !== 'brake' && this.current !== 'clutch') {
      throw new CalibrationError(`the ${this.current} step cannot be skipped`);
    }
    return this.advance();
  }

  /** Starts the current step over (its reports are dropped). */
  redo(): void {
    this.reports.delete(this.current);
  }

  result(): GenericCalibration {
    const { layout, steering } = this;
    const throttle = this.pedals.throttle;
    if (this.current !== 'done' || !layout || !steering || !throttle) {
      throw new CalibrationError(`calibration not finished (at step ${this.current})`);
    }
    return {
      vendorId: this.device.vendorId,
      productId: this.device.productId,
      ...layout,
      steering,
      throttle,
      ...(this.pedals.brake ? { brake: this.pedals.brake } : {}),
      ...(this.pedals.clutch ? { clutch: this.pedals.clutch } : {}),
      buttons: this.detectButtons(),
    };
  }

  private advance(): CalibrationStep {
    this.current = ORDER[ORDER.indexOf(this.current) + 1] ?? 'done';
    return this.current;
  }

  private isStateReport(report: Uint8Array): boolean {
    const layout = this.layout;
    if (!layout) return true;
    return report.length === layout.reportLength && (layout.reportId === undefined || report[0] === layout.reportId);
  }

  private centreReports(): Uint8Array[] {
    return (this.reports.get('center') ?? []).filter((r) => this.isStateReport(r));
  }

  private usedBytes(): Set<number> {
    const used = new Set<number>();
    if (this.layout?.reportId !== undefined) used.add(0);
    for (const f of [this.steering, ...Object.values(this.pedals)]) if (f) fieldBytes(f as Field).forEach((b) => used.add(b));
    return used;
  }

  private candidates(): Field[] {
    const length = this.layout?.reportLength ?? 0;
    const used = this.usedBytes();
    const out: Field[] = [];
    for (let offset = 0; offset < length; offset++) {
      if (used.has(offset)) continue;
      out.push({ offset, size: 8 });
      if (offset + 1 < length && !used.has(offset + 1)) out.push({ offset, size: 16 });
    }
    return out;
  }

  private detectSteering(rightReports: Uint8Array[]): GenericCalibration['steering'] {
    const centre = this.centreReports().at(-1);
    const left = (this.reports.get('left') ?? []).filter((r) => this.isStateReport(r)).at(-1);
    const right = rightReports.filter((r) => this.isStateReport(r)).at(-1);
    if (!centre || !left || !right) throw new CalibrationError('no report received at one of the stops');
    const scored = this.candidates().flatMap((f) => {
      const l = fieldValue(left, f);
      const c = fieldValue(centre, f);
      const r = fieldValue(right, f);
      const between = (l < c && c < r) || (r < c && c < l);
      return between ? [{ field: f, score: Math.abs(r - l) / fullScale(f) }] : [];
    });
    const best = pickField(scored);
    if (!best) throw new CalibrationError('no axis moved between the left and right stops; turn fully to each stop');
    return { ...best, left: fieldValue(left, best), center: fieldValue(centre, best), right: fieldValue(right, best) };
  }

  private detectPedal(step: 'throttle' | 'brake' | 'clutch', seen: Uint8Array[]): GenericCalibration['throttle'] {
    const centre = this.centreReports().at(-1);
    const reports = seen.filter((r) => this.isStateReport(r));
    if (!centre || reports.length === 0) throw new CalibrationError(`no report received while pressing the ${step} pedal`);
    const scored = this.candidates().map((f) => {
      const released = fieldValue(centre, f);
      let pressed = released;
      for (const r of reports) {
        const v = fieldValue(r, f);
        if (Math.abs(v - released) > Math.abs(pressed - released)) pressed = v;
      }
      return { field: f, score: Math.abs(pressed - released) / fullScale(f), released, pressed };
    });
    const best = pickField(scored);
    if (!best) throw new CalibrationError(`the ${step} pedal did not move any axis; press it all the way down`);
    const match = scored.find((s) => s.field === best);
    return { ...best, released: match?.released ?? 0, pressed: match?.pressed ?? 0 };
  }

  /** Every bit outside the axes that held still while the user kept still: b0, b1, ... */
  private detectButtons(): GenericCalibration['buttons'] {
    const centre = this.centreReports();
    const rest = centre.at(-1);
    if (!rest) return [];
    const used = this.usedBytes();
    const buttons: GenericCalibration['buttons'] = [];
    for (let offset = 0; offset < rest.length && buttons.length < MAX_BUTTONS; offset++) {
      if (used.has(offset)) continue;
      for (let b = 0; b < 8 && buttons.length < MAX_BUTTONS; b++) {
        const index = offset * 8 + b;
        const value = bit(rest, index);
        if (centre.every((r) => bit(r, index) === value)) buttons.push({ bit: index, rest: value });
      }
    }
    return buttons;
  }
}

/** The field that moved most; a 16-bit field wins over its own high byte when they moved alike. */
function pickField(scored: { field: Field; score: number }[]): Field | undefined {
  const moved = scored.filter((s) => s.score >= MIN_TRAVEL).sort((a, b) => b.score - a.score);
  const best = moved[0];
  if (!best) return undefined;
  if (best.field.size === 8) {
    const wide = moved.find((s) => s.field.size === 16 && s.field.offset === best.field.offset - 1);
    if (wide && wide.score >= best.score - 0.02) return wide.field;
  }
  return best.field;
}

/** The state report is the most common length; a constant first byte among several report kinds is its id. */
function detectLayout(reports: Uint8Array[]): { reportLength: number; reportId?: number } {
  const byLength = new Map<number, Uint8Array[]>();
  for (const r of reports) byLength.set(r.length, [...(byLength.get(r.length) ?? []), r]);
  const [reportLength, main] = [...byLength.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? [0, []];
  const first = main[0]?.[0];
  const numbered = byLength.size > 1 && first !== undefined && main.every((r) => r[0] === first);
  return numbered ? { reportLength, reportId: first } : { reportLength };
}

/** Raw steering to 16 bits, each side scaled to its own stop, whichever way the device counts. */
const toSteering16 = (raw: number, cal: GenericCalibration['steering']): number => {
  const towardsRight = (raw - cal.center) * Math.sign(cal.right - cal.center);
  const span = towardsRight >= 0 ? Math.abs(cal.right - cal.center) : Math.abs(cal.center - cal.left);
  const centred = span === 0 ? 0 : clampUnit(towardsRight / span);
  return Math.min(65535, Math.round(32768 + centred * 32768));
};

const toPedal = (data: Uint8Array, cal: GenericCalibration['throttle'] | undefined): PedalSample => {
  if (!cal) return { value: 0, bits: 16, inverted: false };
  const span = cal.pressed - cal.released;
  const travel = span === 0 ? 0 : (fieldValue(data, cal as Field) - cal.released) / span;
  return { value: Math.round(Math.max(0, Math.min(1, travel)) * 65535), bits: 16, inverted: false };
};

/** The profile for a calibrated device: its reports parsed through the saved calibration. */
export function createGenericProfile(cal: GenericCalibration): WheelProfile {
  const parse = (data: Uint8Array): ParseResult => {
    if (cal.reportId !== undefined && data.length > 0 && data[0] !== cal.reportId) {
      return ignored('non-state', `report id 0x${(data[0] ?? 0).toString(16)}`);
    }
    if (data.length < cal.reportLength) return ignored('short', `${data.length} bytes, need ${cal.reportLength}`);
    const buttons = new Set<string>();
    cal.buttons.forEach((b, i) => {
      if (bit(data, b.bit) !== b.rest) buttons.add(`b${i}`);
    });
    return state({
      steering: { value: toSteering16(fieldValue(data, cal.steering as Field), cal.steering), bits: 16 },
      throttle: toPedal(data, cal.throttle),
      brake: toPedal(data, cal.brake),
      clutch: toPedal(data, cal.clutch),
      buttons,
    });
  };
  return {
    id: 'generic',
    name: `Generic HID device ${formatId(cal.vendorId, cal.productId)}`,
    vendorId: cal.vendorId,
    productIds: [cal.productId],
    parse,
    initReports: () => [],
  };
}
