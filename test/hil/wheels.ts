/**
 * The wheels the HIL test plugs in through uhid, with their real USB ids and report descriptors, and the
 * reports each plays. Descriptors are device data from public dumps (cited per wheel); the reports are
 * the real captures of test/fixtures/wheel-reports.json, plus a few built on the same layouts where the
 * captures lack a pressed pedal or button.
 */
import { readFileSync } from 'node:fs';
import { hexToBytes } from '../../nuc/wheel/bytes.ts';

interface Fixture {
  devices: { vid: string; pid: string; reports: { hex: string; meaning: string }[] }[];
  report_descriptors: { vid: string; pid: string; bcdDevice?: string; hex: string }[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/wheel-reports.json', import.meta.url), 'utf8')) as Fixture;

export interface PlayedReport {
  readonly hex: string;
  /** what it is, for failure messages */
  readonly meaning: string;
  /** false for reports the profile must skip (they produce no control) */
  readonly state: boolean;
  /** false: the kernel must not pass it to hidraw at all (a report id the descriptor does not declare) */
  readonly delivered?: boolean;
}

export interface HilWheel {
  readonly id: string;
  readonly name: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly version: number;
  readonly descriptorHex: string;
  readonly reports: readonly PlayedReport[];
}

const fixtureDevice = (pid: string) => {
  const device = fixture.devices.find((d) => d.pid === pid);
  if (!device) throw new Error(`test/fixtures/wheel-reports.json has no device ${pid}`);
  return device;
};

/**
 * Logitech G29 with its PlayStation switch on PS4 (046d:c260, bcdDevice 0x8900): the descriptor dumped
 * from a real G29 in J2Kbr/TitanTwo issue #146 (in the fixture file). Its input report 0x01 is the
 * DS4-style 64-byte report; the wheel and pedals sit in the vendor block at offsets 10..63, whose idle
 * state the fixture has from a T300RS in PS4 mode (the same layout). The first 10 bytes are the DS4
 * part: report id, four centred sticks, hat centred (8), no buttons, Rx/Ry.
 */
function g29Ps4(): HilWheel {
  const descriptor = fixture.report_descriptors.find((d) => d.pid === '0xc260');
  if (!descriptor) throw new Error('test/fixtures/wheel-reports.json has no G29 (c260) descriptor');
  const vendorBlock = fixtureDevice('0xb66d').reports[0]!.hex;
  const idle = `01808080800800000000${vendorBlock}`;
  const withBytes = (changes: Record<number, number>): string => {
    const bytes = hexToBytes(idle);
    for (const [offset, value] of Object.entries(changes)) bytes[Number(offset)] = value;
    return Buffer.from(bytes).toString('hex');
  };
  return {
    id: 'g29-ps4',
    name: 'Logitech G29 Driving Force Racing Wheel',
    vendorId: 0x046d,
    productId: 0xc260,
    version: Number(descriptor.bcdDevice ?? 0),
    descriptorHex: descriptor.hex,
    reports: [
      { hex: idle, meaning: 'captured idle: steering 0x7de2, pedals released (0xffff)', state: true },
      { hex: withBytes({ 43: 0x00, 44: 0x40 }), meaning: 'steering 0x4000: a quarter of the way to full left', state: true },
      { hex: withBytes({ 43: 0xff, 44: 0xff, 45: 0x00, 46: 0x80 }), meaning: 'full right, gas half down (0x8000)', state: true },
      { hex: withBytes({ 5: 0x08 | 0x80 }), meaning: 'triangle (north) pressed: cycles the drive mode', state: true },
      { hex: withBytes({ 47: 0x00, 48: 0x00 }), meaning: 'brake fully down (0x0000)', state: true },
      { hex: idle, meaning: 'captured idle again', state: true },
    ],
  };
}

/**
 * Thrustmaster T150 (044f:b677): the report descriptor read from a real T150 (firmware 21) in
 * scarburato/t150_driver, traffic/old_caps/hid_report_fw21 (commit 31b4a0a). Report 0x07 is the 15-byte
 * state report of the fixture's captures; 0x02 and 0x14 are declared too, so the kernel passes the
 * captured 0x14 setup replies through to hidraw, where the profile must skip them.
 */
const T150_DESCRIPTOR =
  '05010904a1010901a100850709301500' +
  '27ffff0000350047ffff000075109501' +
  '8102093126ff0346ff03810209358102' +
  '09368102810305091901290d25014501' +
  '7501950d8102750b9501810305010939' +
  '2507463b015500651475048142650081' +
  '03850a0600ff090a7508950e26ff0046' +
  'ff009102850209028102091485148102' +
  'c0c0';

function t150(): HilWheel {
  const captured = fixtureDevice('0xb677').reports;
  const state = captured.filter((r) => r.hex.startsWith('07'));
  const replies = captured.filter((r) => !r.hex.startsWith('07'));
  const asPlayed = (r: { hex: string; meaning: string }, isState: boolean): PlayedReport => ({ hex: r.hex, meaning: r.meaning, state: isState });
  return {
    id: 't150',
    name: 'Thrustmaster T150 Racing Wheel',
    vendorId: 0x044f,
    productId: 0xb677,
    version: 0,
    descriptorHex: T150_DESCRIPTOR,
    reports: [
      asPlayed(state[0]!, true),
      asPlayed(state[1]!, true),
      asPlayed(replies[0]!, false),
      asPlayed(state[2]!, true),
      asPlayed(replies[1]!, false),
      { hex: '330080ff03ff03ff0300000000000f', meaning: 'report id 0x33, which the descriptor does not declare', state: false, delivered: false },
      asPlayed(state[3]!, true),
      // gas (bytes 5..6) fully down: the inverted 10-bit pedal reads 0
      { hex: '070080ff030000ff0300000000000f', meaning: 'centred, gas fully down', state: true },
      asPlayed(state[0]!, true),
    ],
  };
}

export const HIL_WHEELS: readonly HilWheel[] = [g29Ps4(), t150()];
