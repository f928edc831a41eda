import { describe, expect, it } from 'vitest';
import { jpegHeaderOnly } from '../../test/support/jpegs.ts';
import { decode, encode, type BusMessage } from '../codec.ts';
import type { FieldsOf } from '../messages.ts';
import { MESSAGE_KINDS, type MessageKind } from '../topics.ts';
import { TOPIC_RULES, mayReceive, publishRefusal, type Identity } from './roles.ts';

const wheel: Identity = { name: 'wheel', role: 'nuc', service: 'wheel' };
const server: Identity = { name: 'server', role: 'nuc', service: 'server' };
const compositor: Identity = { name: 'compositor', role: 'nuc', service: 'compositor' };
const car1: Identity = { name: 'car-1', role: 'car', car: '1' };
const car2: Identity = { name: 'car-2', role: 'car', car: '2' };
const driver1: Identity = { name: 'pat', role: 'driver', cars: ['1'] };
const viewer: Identity = { name: 'phone', role: 'viewer' };
const timingService: Identity = { name: 'timing', role: 'nuc', service: 'timing' };
const gateAtLine: Identity = { name: 'line-pi', role: 'timing' };

function message<K extends MessageKind>(topic: string, fields: FieldsOf<K>, payload?: Buffer): BusMessage {
  const decoded = decode(encode(topic, 0, fields, payload));
  if (!decoded.ok) throw new Error(decoded.detail);
  return decoded.message;
}
const frame = (car: string) => message<'frame'>(`car/${car}/frame`, { width: 1, height: 1, format: 'jpeg' }, jpegHeaderOnly(1, 1));
const control = (car: string, fields: Partial<FieldsOf<'control'>> = {}) => message<'control'>(`car/${car}/control`, { angle: 0.3, throttle: 0.2, ...fields });
const telemetry = (car: string) => message<'telemetry'>(`car/${car}/telemetry`, { mode: 'user', angle: 0, throttle: 0, model: 'm', loop: { count: 0, overruns: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 } });
const view = (car: string) => message<'view'>(`car/${car}/view`, { width: 1, height: 1, format: 'jpeg', frameSeq: 0, frameTs: 0, compositeMs: 0, angle: 0 }, jpegHeaderOnly(1, 1));
const reset = (car: string) => message<'reset'>(`car/${car}/reset`, { to: 'track' });
const erase = (car: string) => message<'erase'>(`car/${car}/erase`, { seconds: 5 });
const poses = message<'poses'>('nuc/track/poses', { track: 'default', cars: [{ car: '1', x: 0, y: 0, heading: 0, speed: 0, ageMs: 0 }] });
const compose = message<'compose'>('nuc/server/compose', { cars: ['1'] });
const crossing = message<'crossing'>('nuc/timing/crossing', { gate: 'line', atMs: 1_765_000_000_000, source: 'gpio' });
const release = message<'release'>('nuc/ota/release', { timestamp: 2 });
const metrics = (scope: string) =>
  message<'metrics'>(`${scope}/metrics`, { service: 's', pid: 1, uptimeS: 0, rssBytes: 0, counters: { in: 0, out: 0, dropped: 0, droppedBy: {} }, loops: {} });

describe('who may publish what', () => {
  it.each([
    ['a car its own frame and telemetry', car1, frame('1'), undefined],
    ['a car its own metrics', car1, metrics('car/1'), undefined],
    ['a car another car\'s telemetry', car2, telemetry('1'), 'not-permitted'],
    ['a car another car\'s frame', car2, frame('1'), 'not-permitted'],
    ['a car a view (only the compositor makes them)', car1, view('1'), 'not-permitted'],
    ['the compositor a view', compositor, view('1'), undefined],
    ['a car a release hint', car1, release, 'not-permitted'],
    ['the wheel a release hint', wheel, release, 'not-permitted'],
    ['the server a release hint', server, release, undefined],
    ['a NUC service its own metrics', wheel, metrics('nuc/wheel'), undefined],
    ['a NUC service another\'s metrics', wheel, metrics('nuc/server'), 'not-permitted'],
    ['the wheel control', wheel, control('1'), undefined],
    ['the server control', server, control('2'), undefined],
    ['the compositor control', compositor, control('1'), 'no-control-authority'],
    ['a driver control of its car', driver1, control('1'), undefined],
    ['a driver control of another car', driver1, control('2'), 'no-control-authority'],
    ['a viewer control', viewer, control('1'), 'no-control-authority'],
    ['a viewer a frame', viewer, frame('1'), 'not-permitted'],
    ['a viewer an estop-only control', viewer, control('1', { angle: 0, throttle: 0, estop: true }), undefined],
    ['a car another car\'s estop-only control', car2, control('1', { angle: 0, throttle: 0, estop: true }), undefined],
    ['a viewer clearing the estop', viewer, control('1', { angle: 0, throttle: 0, estop: false }), 'no-control-authority'],
    ['a viewer an estop that also steers', viewer, control('1', { angle: 0.5, throttle: 0, estop: true }), 'no-control-authority'],
    ['a viewer an estop that also changes the mode', viewer, control('1', { angle: 0, throttle: 0, estop: true, mode: 'local' }), 'no-control-authority'],
    ['a driver clearing its car\'s estop', driver1, control('1', { angle: 0, throttle: 0, estop: false }), undefined],
    ['the wheel an erase (its erase button)', wheel, erase('1'), undefined],
    ['the server an erase (the driver\'s screen)', server, erase('1'), undefined],
    ['a driver an erase of its car\'s recording', driver1, erase('1'), undefined],
    ['a driver an erase of another car\'s recording', driver1, erase('2'), 'not-permitted'],
    ['a viewer an erase', viewer, erase('1'), 'not-permitted'],
    ['a car an erase of its own recording', car1, erase('1'), 'not-permitted'],
    ['the server a reset (the dashboard, race control)', server, reset('1'), undefined],
    ['the wheel a reset (its reset button)', wheel, reset('1'), undefined],
    ['a driver a reset of its car', driver1, reset('1'), undefined],
    ['a driver a reset of another car', driver1, reset('2'), 'not-permitted'],
    ['a car its own reset', car1, reset('1'), 'not-permitted'],
    ['a viewer a reset', viewer, reset('1'), 'not-permitted'],
    ['the compositor a reset', compositor, reset('1'), 'not-permitted'],
    ['the server the shared track', server, poses, undefined],
    ['the wheel the shared track', wheel, poses, 'not-permitted'],
    ['a car the shared track', car1, poses, 'not-permitted'],
    ['the server the compositing demand', server, compose, undefined],
    ['the compositor the compositing demand', compositor, compose, 'not-permitted'],
    ['a driver the compositing demand', driver1, compose, 'not-permitted'],
    ['the timing service a crossing', timingService, crossing, undefined],
    ['a timing gate at the line a crossing', gateAtLine, crossing, undefined],
    ['a timing gate at the line its metrics (it publishes crossings only)', gateAtLine, metrics('nuc/timing'), 'not-permitted'],
    ['a timing gate at the line a control', gateAtLine, control('1'), 'no-control-authority'],
    ['a timing gate at the line a reset', gateAtLine, reset('1'), 'not-permitted'],
    ['a timing gate at the line a car\'s telemetry', gateAtLine, telemetry('1'), 'not-permitted'],
    ['the server a crossing (only the timing service times)', server, crossing, 'not-permitted'],
    ['a car a crossing', car1, crossing, 'not-permitted'],
    ['a driver a crossing', driver1, crossing, 'not-permitted'],
    ['anyone a car-local kind', wheel, message<'drive'>('car/1/drive', { gen: 1, angle: 0, throttle: 0, source: 'pilot', frameSeq: -1 }), 'not-permitted'],
  ] as const)('%s: %s', (_what, identity, bus, refusal) => {
    expect(publishRefusal(identity, bus)).toBe(refusal);
  });
});

describe('who may receive what', () => {
  it.each([
    [server, 'car/', true],
    [server, '', true],
    [server, 'nuc/', true],
    [car1, 'car/1/control', true],
    [car1, 'nuc/ota/release', true],
    [car1, 'car/2/control', false],
    [car1, 'car/1/', false], // its own frames, telemetry and agent reports are for the NUC, not for itself
    [car1, 'car/1', false], // also car/10/…
    [car1, 'car/', false],
    [car1, 'nuc/', false],
    [car1, '', false],
    [viewer, 'car/1/frame', true],
    [viewer, 'car/1/view', true],
    [viewer, 'car/1/telemetry', true],
    [viewer, 'car/1/control', false],
    [viewer, 'car/1/agent', false],
    [viewer, 'car/1/', false],
    [viewer, 'nuc/ota/release', true],
    [viewer, 'nuc/wheel/metrics', false],
    [driver1, 'car/2/frame', true],
    [driver1, 'car/1/control', false],
    [car1, 'car/1/reset', true],
    [car1, 'car/2/reset', false],
    [car1, 'nuc/track/poses', true],
    [viewer, 'nuc/track/poses', true],
    [driver1, 'car/1/reset', false],
    [compositor, 'nuc/server/compose', true],
    [car1, 'nuc/server/compose', false],
    [viewer, 'nuc/server/compose', false],
    [car1, 'nuc/track/', false], // also a nuc/track/metrics
    [viewer, 'car/1/fr', true], // matches frame only
    [viewer, 'truck/', true], // matches no topic at all
    [viewer, 'nuc/timing/crossing', true],
    [driver1, 'nuc/timing/crossing', true],
    [car1, 'nuc/timing/crossing', false],
    [gateAtLine, 'nuc/timing/crossing', false],
    [gateAtLine, 'car/1/frame', false],
    [gateAtLine, 'nuc/track/poses', true], // what every car and screen may read
  ] as const)('%o subscribing to %j: %s', (identity, prefix, allowed) => {
    expect(mayReceive(identity, prefix)).toBe(allowed);
  });
});

describe('the rule table', () => {
  // the kinds a car keeps on its own bus: the NUC proxy forwards none of them
  const CAR_LOCAL: readonly MessageKind[] = ['drive', 'applied', 'sim', 'link'];

  it('gives every kind that crosses the NUC bus a rule, and none to the car-local kinds', () => {
    const ruled = new Set(Object.keys(TOPIC_RULES).map((pattern) => pattern.split('/')[2]));
    for (const kind of MESSAGE_KINDS) expect(ruled.has(kind), kind).toBe(!CAR_LOCAL.includes(kind));
  });
});
