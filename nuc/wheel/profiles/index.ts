/**
 * The supported wheels, found by vendor/product id, and the compatibility-mode switch for Logitech
 * multimode wheels (a G29, G27 or DFGT may first appear as a Driving Force EX, c294, or as an older model).
 *
 * Identification by bcdDevice (USB release) and the switch reports are those of the Linux hid-lg4ff
 * driver (lg4ff_*_ident_info, lg4ff_mode_switch_ext09_*): the wheel detaches and comes back with its
 * native product id, which the next device-list poll picks up.
 */
import { DRIVING_FORCE_GT, G27, G29, G29_PS4, G920, LOGITECH_PIDS, LOGITECH_VENDOR_ID } from './logitech.ts';
import type { OutputReport, WheelProfile } from './profile.ts';
import { T150, T300RS, T300RS_PS4 } from './thrustmaster.ts';

export type { OutputReport, WheelInit, WheelProfile } from './profile.ts';

export const WHEEL_PROFILES: readonly WheelProfile[] = [G29, G29_PS4, G27, DRIVING_FORCE_GT, G920, T150, T300RS, T300RS_PS4];

export function findProfile(vendorId: number, productId: number): WheelProfile | undefined {
  return WHEEL_PROFILES.find((p) => p.vendorId === vendorId && p.productIds.includes(productId));
}

/** Checked in order, as hid-lg4ff does: the G29 ranges overlap the others. */
const LOGITECH_IDENTITIES: readonly { mask: number; result: number; nativeId: number }[] = [
  { mask: 0xfff8, result: 0x1350, nativeId: LOGITECH_PIDS.g29 },
  { mask: 0xff00, result: 0x8900, nativeId: LOGITECH_PIDS.g29 },
  { mask: 0xff00, result: 0x1300, nativeId: LOGITECH_PIDS.dfgt },
  { mask: 0xfff0, result: 0x1230, nativeId: LOGITECH_PIDS.g27 },
  { mask: 0xff00, result: 0x1200, nativeId: LOGITECH_PIDS.g25 },
  { mask: 0xf000, result: 0x1000, nativeId: LOGITECH_PIDS.dfp },
];

/** Product ids a multimode Logitech wheel can show up as before being switched. */
const LOGITECH_COMPAT_IDS: readonly number[] = [
  LOGITECH_PIDS.dfex,
  LOGITECH_PIDS.dfp,
  LOGITECH_PIDS.g25,
  LOGITECH_PIDS.dfgt,
  LOGITECH_PIDS.g27,
];

const REVERT_ON_USB_RESET: OutputReport = [0x00, 0xf8, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00];
const SWITCH_TO: Record<number, OutputReport> = {
  [LOGITECH_PIDS.dfgt]: [0x00, 0xf8, 0x09, 0x03, 0x01, 0x00, 0x00, 0x00],
  [LOGITECH_PIDS.g27]: [0x00, 0xf8, 0x09, 0x04, 0x01, 0x00, 0x00, 0x00],
  [LOGITECH_PIDS.g29]: [0x00, 0xf8, 0x09, 0x05, 0x01, 0x01, 0x00, 0x00],
};

export interface ModeSwitch {
  /** the product id the wheel will come back with */
  readonly targetProductId: number;
  readonly profile: WheelProfile;
  readonly reports: readonly OutputReport[];
}

/** The wheel's real model from its bcdDevice, when it is a Logitech multimode wheel. */
export function identifyLogitechWheel(release: number): number | undefined {
  return LOGITECH_IDENTITIES.find((id) => (release & id.mask) === id.result)?.nativeId;
}

/** The reports that switch a wheel out of a compatibility mode, or undefined when it is already native. */
export function modeSwitchFor(vendorId: number, productId: number, release: number | undefined): ModeSwitch | undefined {
  if (vendorId !== LOGITECH_VENDOR_ID || release === undefined || !LOGITECH_COMPAT_IDS.includes(productId)) return undefined;
  const nativeId = identifyLogitechWheel(release);
  if (nativeId === undefined || nativeId === productId) return undefined;
  const command = SWITCH_TO[nativeId];
  const profile = findProfile(LOGITECH_VENDOR_ID, nativeId);
  if (!command || !profile) return undefined;
  return { targetProductId: nativeId, profile, reports: [REVERT_ON_USB_RESET, command] };
}
