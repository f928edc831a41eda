/**
 * The USB wheel with hot-plug: polls the HID device list, opens the first supported (or configured)
 * wheel, switches a Logitech wheel out of a compatibility mode, sets range and autocenter, and hands out
 * one control per state report. Unplugging (or a read error) closes the device, counts a disconnect and
 * sends one control with no throttle; the next poll that sees a wheel picks it up again.
 */
import type { GenericCalibration } from '../../runtime/index.ts';
import { createGenericProfile } from './calibration.ts';
import { WheelCounters } from './counters.ts';
import { formatId, parseDeviceId, type HidBackend, type HidDeviceHandle, type HidDeviceInfo } from './hid-backend.ts';
import type { ControlMapper } from './mapper.ts';
import { findProfile, modeSwitchFor, type WheelInit, type WheelProfile } from './profiles/index.ts';
import type { WheelControl } from './types.ts';

export type WheelStatus =
  | { readonly state: 'stopped' }
  | { readonly state: 'searching' }
  | { readonly state: 'switching'; readonly device: string; readonly target: string }
  | { readonly state: 'connected'; readonly device: string; readonly profile: string; readonly name: string }
  /** the configured device has no profile and no calibration yet: raw reports go to onRawReport */
  | { readonly state: 'uncalibrated'; readonly device: string }
  | { readonly state: 'error'; readonly message: string };

export interface Timers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface WheelInputOptions {
  /** the HID backend, or a factory called on first use (so node-hid loads only when a wheel is wanted) */
  backend: HidBackend | (() => Promise<HidBackend>);
  mapper: ControlMapper;
  onControl: (control: WheelControl) => void;
  onStatus?: (status: WheelStatus) => void;
  /** every input report of the open device, before parsing (for the guided calibration) */
  onRawReport?: (data: Uint8Array, device: HidDeviceInfo) => void;
  /** 'auto' or a 'vvvv:pppp' hex id */
  device?: string;
  init?: WheelInit;
  calibration?: GenericCalibration;
  pollMs?: number;
  timers?: Timers;
  counters?: WheelCounters;
}

interface OpenWheel {
  readonly info: HidDeviceInfo;
  readonly handle: HidDeviceHandle;
  profile: WheelProfile | undefined;
}

type Choice =
  | { kind: 'open'; info: HidDeviceInfo; profile: WheelProfile | undefined }
  | { kind: 'switch'; info: HidDeviceInfo; reports: readonly (readonly number[])[]; target: number };

const DEFAULT_INIT: WheelInit = { rangeDegrees: 900, autocenter: 0.3 };

export class WheelInput {
  readonly counters: WheelCounters;
  private backend: HidBackend | undefined;
  private current: OpenWheel | undefined;
  private timer: unknown;
  private polling: Promise<void> | undefined;
  private lastStatus: WheelStatus = { state: 'stopped' };
  private calibration: GenericCalibration | undefined;
  /** paths a mode switch was already sent to: not repeated until the device leaves the list */
  private readonly switched = new Set<string>();
  private readonly timers: Timers;

  constructor(private readonly options: WheelInputOptions) {
    this.counters = options.counters ?? new WheelCounters();
    this.calibration = options.calibration;
    this.timers = options.timers ?? { setInterval: (fn, ms) => setInterval(fn, ms), clearInterval: (h) => clearInterval(h as NodeJS.Timeout) };
    if (options.device && options.device !== 'auto' && !parseDeviceId(options.device)) {
      throw new RangeError(`wheel device must be 'auto' or a 'vvvv:pppp' hex id, got "${options.device}"`);
    }
  }

  get status(): WheelStatus {
    return this.lastStatus;
  }

  /** Starts watching. Until a wheel is found the car gets one control with no throttle. */
  start(): Promise<void> {
    if (this.timer !== undefined) return this.polling ?? Promise.resolve();
    this.emitNeutral();
    this.setStatus({ state: 'searching' });
    this.timer = this.timers.setInterval(() => void this.poll(), this.options.pollMs ?? 1000);
    return this.poll();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) this.timers.clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
    await this.closeCurrent();
    this.setStatus({ state: 'stopped' });
  }

  /** Uses a finished calibration at once (the device it names is parsed by the generic profile). */
  setCalibration(calibration: GenericCalibration): void {
    this.calibration = calibration;
    const open = this.current;
    if (open && open.info.vendorId === calibration.vendorId && open.info.productId === calibration.productId && !open.profile) {
      open.profile = createGenericProfile(calibration);
      this.setStatus(this.connectedStatus(open.info, open.profile));
    }
  }

  /** One look at the device list; runs on the poll timer, callable directly (tests, "rescan" button). */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    let list: HidDeviceInfo[];
    try {
      this.backend ??= typeof this.options.backend === 'function' ? await this.options.backend() : this.options.backend;
      list = await this.backend.list();
    } catch (error) {
      this.setStatus({ state: 'error', message: (error as Error).message });
      return;
    }
    const present = new Set(list.map((d) => d.path));
    for (const path of this.switched) if (!present.has(path)) this.switched.delete(path);
    if (this.current) {
      if (present.has(this.current.info.path)) return;
      await this.lost();
    }
    const choice = this.choose(list);
    if (!choice) {
      if (this.lastStatus.state !== 'switching') this.setStatus({ state: 'searching' });
      return;
    }
    if (choice.kind === 'switch') await this.switchMode(choice);
    else await this.openWheel(choice.info, choice.profile);
  }

  private choose(list: HidDeviceInfo[]): Choice | undefined {
    const wanted = this.options.device && this.options.device !== 'auto' ? parseDeviceId(this.options.device) : undefined;
    // joystick/gamepad collections first: a wheel may expose vendor interfaces on other hidraw nodes
    const ordered = [...list].sort((a, b) => rank(a) - rank(b));
    for (const info of ordered) {
      if (wanted && (info.vendorId !== wanted.vendorId || info.productId !== wanted.productId)) continue;
      const modeSwitch = modeSwitchFor(info.vendorId, info.productId, info.release);
      if (modeSwitch) {
        if (this.switched.has(info.path)) continue;
        return { kind: 'switch', info, reports: modeSwitch.reports, target: modeSwitch.targetProductId };
      }
      const profile = this.profileFor(info);
      if (profile || wanted) return { kind: 'open', info, profile };
    }
    return undefined;
  }

  private profileFor(info: HidDeviceInfo): WheelProfile | undefined {
    const known = findProfile(info.vendorId, info.productId);
    if (known) return known;
    const cal = this.calibration;
    if (cal && cal.vendorId === info.vendorId && cal.productId === info.productId) return createGenericProfile(cal);
    return undefined;
  }

  private async switchMode(choice: Extract<Choice, { kind: 'switch' }>): Promise<void> {
    const device = formatId(choice.info.vendorId, choice.info.productId);
    this.switched.add(choice.info.path);
    let handle: HidDeviceHandle | undefined;
    try {
      handle = await this.backendOrThrow().open(choice.info.path);
      handle.on('error', () => {}); // the wheel detaches right after the switch
      for (const report of choice.reports) await handle.write(report);
      this.setStatus({ state: 'switching', device, target: formatId(choice.info.vendorId, choice.target) });
    } catch (error) {
      this.setStatus({ state: 'error', message: `mode switch of ${device} failed: ${(error as Error).message}` });
    } finally {
      await closeQuietly(handle);
    }
  }

  private async openWheel(info: HidDeviceInfo, profile: WheelProfile | undefined): Promise<void> {
    const device = formatId(info.vendorId, info.productId);
    let handle: HidDeviceHandle;
    try {
      handle = await this.backendOrThrow().open(info.path);
    } catch (error) {
      this.setStatus({ state: 'error', message: `cannot open ${device} at ${info.path}: ${(error as Error).message} (see nuc/wheel/README.md for the udev rule)` });
      return;
    }
    const open: OpenWheel = { info, handle, profile };
    this.current = open;
    handle.on('data', (data) => {
      if (this.current === open) this.onData(open, data);
    });
    handle.on('error', () => {
      if (this.current === open) void this.lost();
    });
    if (profile) {
      try {
        for (const report of profile.initReports(this.options.init ?? DEFAULT_INIT)) await handle.write(report);
      } catch {
        // a wheel that refuses range/autocenter still drives; its own settings stay
      }
    }
    this.setStatus(profile ? this.connectedStatus(info, profile) : { state: 'uncalibrated', device });
  }

  private onData(open: OpenWheel, data: Uint8Array): void {
    const bytes = data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>);
    this.options.onRawReport?.(bytes, open.info);
    const profile = open.profile;
    if (!profile) return;
    let result;
    try {
      result = profile.parse(bytes);
    } catch {
      this.counters.ignore('garbled');
      return;
    }
    if (result.kind === 'ignored') {
      this.counters.ignore(result.reason);
      return;
    }
    this.counters.parsed++;
    const control = this.options.mapper.mapReport(result.report, profile.id);
    this.counters.controls++;
    this.options.onControl(control);
  }

  /** The wheel is gone (unplugged, read error): forget it and take the user's throttle away once. */
  private async lost(): Promise<void> {
    if (!this.current) return;
    this.counters.disconnects++;
    await this.closeCurrent();
    this.emitNeutral();
    this.setStatus({ state: 'searching' });
  }

  private async closeCurrent(): Promise<void> {
    const open = this.current;
    this.current = undefined;
    await closeQuietly(open?.handle);
  }

  private emitNeutral(): void {
    this.counters.controls++;
    this.options.onControl(this.options.mapper.neutral());
  }

  private backendOrThrow(): HidBackend {
    if (!this.backend) throw new Error('HID backend not loaded');
    return this.backend;
  }

  private connectedStatus(info: HidDeviceInfo, profile: WheelProfile): WheelStatus {
    return { state: 'connected', device: formatId(info.vendorId, info.productId), profile: profile.id, name: profile.name };
  }

  private setStatus(status: WheelStatus): void {
    if (JSON.stringify(status) === JSON.stringify(this.lastStatus)) return;
    this.lastStatus = status;
    this.options.onStatus?.(status);
  }
}

const rank = (d: HidDeviceInfo): number => (d.usagePage === 1 && (d.usage === 4 || d.usage === 5) ? 0 : 1) * 100 + (d.interface ?? 0);

async function closeQuietly(handle: HidDeviceHandle | undefined): Promise<void> {
  try {
    await handle?.close();
  } catch {
    // already gone
  }
}
