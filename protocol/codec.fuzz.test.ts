/**
 * Seeded fuzzing of what a bus peer can send: valid messages of every kind, mutated part by part and
 * byte by byte, and plain garbage. The codec must never throw; every message is either valid (and
 * then passes its closed schema again) or dropped under one of the codec's reasons. The same stream,
 * sealed by paired keys of every role and run through the proxy's gate, must also never throw and
 * end in a forwarded message or a counted reason. Same seed, same messages, on every machine.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../runtime/index.ts';
import { paddedJpeg } from '../test/support/jpegs.ts';
import { DROP_REASONS, decode, encode, type DropReason } from './codec.ts';
import { headerValidator, type FieldsOf } from './messages.ts';
import { BusGate, ClientSecurity, generateKeyPair, type GateDropReason, type Identity, type PairedClient } from './security/index.ts';
import { MESSAGE_KINDS, parseTopic, type MessageKind } from './topics.ts';

const MESSAGES = 12_000;
const LIMITS = { maxPayloadBytes: 4096, maxHeaderBytes: 2048, cameraSize: { width: 64, height: 48 } };
const loop = { count: 3, overruns: 0, p50Ms: 1, p99Ms: 2, maxMs: 3 };
const pose = { track: 'default', x: 1, y: 2, heading: 0.5, speed: 1, cte: 0.1, offTrack: false, offTrackEvents: 0, progress: 0.3, lap: 1, lapTimeS: 12 };

/** One valid example of each kind, with its topic. */
const SAMPLES: { [K in MessageKind]: { topic: string; fields: FieldsOf<K>; payload?: boolean } } = {
  frame: { topic: 'car/1/frame', fields: { width: 64, height: 48, format: 'jpeg' }, payload: true },
  view: { topic: 'car/1/view', fields: { width: 64, height: 48, format: 'jpeg', frameSeq: 3, frameTs: 10, compositeMs: 4, angle: 0.1 }, payload: true },
  control: { topic: 'car/1/control', fields: { angle: 0.2, throttle: 0.3, mode: 'user', estop: false, input: 'g29' } },
  drive: { topic: 'car/1/drive', fields: { gen: 1, angle: 0, throttle: 0.1, source: 'pilot', frameSeq: 4 } },
  applied: { topic: 'car/1/applied', fields: { angle: 0, throttle: 0, steeringCount: 300, throttleCount: 370, reason: 'command', estop: false } },
  telemetry: { topic: 'car/1/telemetry', fields: { mode: 'local', angle: 0, throttle: 0.2, model: 'expert', loop, sim: pose } },
  agent: { topic: 'car/1/agent', fields: { release: 'r1', slot: 'A', state: 'idle', progress: 1, version: 2 } },
  metrics: {
    topic: 'nuc/wheel/metrics',
    fields: { service: 'wheel', pid: 10, uptimeS: 5, rssBytes: 1000, counters: { in: 1, out: 2, dropped: 0, droppedBy: { json: 1 } }, loops: { apply: loop }, gauges: { wheel_controls: 4 } },
  },
  sim: { topic: 'car/1/sim', fields: { ...pose, angle: 0, throttle: 0 } },
  recording: { topic: 'nuc/recorder/recording', fields: { car: '1', state: 'recording', tub: 't', records: 3 } },
  release: { topic: 'nuc/ota/release', fields: { timestamp: 4 } },
  poses: {
    topic: 'nuc/track/poses',
    fields: { track: 'default', cars: [{ car: '1', x: 1, y: 2, heading: 0.5, speed: 1, ageMs: 20 }], race: { id: 1, phase: 'lights', lights: 3, hold: ['1'] } },
  },
  reset: { topic: 'car/1/reset', fields: { to: 'grid', slot: 2 } },
  erase: { topic: 'car/1/erase', fields: { seconds: 5 } },
  compose: { topic: 'nuc/server/compose', fields: { cars: ['1', '2'] } },
  link: { topic: 'car/1/link', fields: { up: false, since: 1000 } },
  calibrate: { topic: 'car/1/calibrate', fields: { action: 'set', steeringCount: 300, throttleCount: 370 } },
  crossing: { topic: 'nuc/timing/crossing', fields: { gate: 'line', atMs: 1_765_000_000_000, source: 'gpio' } },
};

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, below: number): number => Math.floor(random() * below);
const bytes = (random: Random, length: number): Buffer => Buffer.from(Array.from({ length }, () => int(random, 256)));

const JUNK_VALUES: readonly unknown[] = [null, true, -1, 1e308, 'x', '', [], {}, [1, [2, [3]]], { a: { b: { c: { d: 1 } } } }, 'y'.repeat(3000)];

/** A header as an object, changed the way a buggy or hostile sender might change it. */
function mutateHeader(random: Random, header: Record<string, unknown>): Buffer {
  const keys = Object.keys(header);
  switch (int(random, 9)) {
    case 0:
      delete header[pick(random, keys)];
      break;
    case 1:
      header[pick(random, keys)] = pick(random, JUNK_VALUES);
      break;
    case 2:
      header[pick(random, ['car', 'note', '__proto__', 'constructor', 'x'.repeat(int(random, 40) + 1)])] = pick(random, JUNK_VALUES);
      break;
    case 3:
      header.v = pick(random, [0, 2, 99, -1, 1.5]);
      break;
    case 4:
      return Buffer.from(pick(random, ['null', '[]', '42', '"text"', '{"v":1}']));
    case 5: {
      const depth = int(random, 200) + 2;
      return Buffer.from(JSON.stringify(header).replace(/}$/, `,"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`));
    }
    case 6: {
      const text = Buffer.from(JSON.stringify(header));
      return text.subarray(0, int(random, text.length));
    }
    case 7: {
      const text = Buffer.from(JSON.stringify(header));
      for (let i = 0; i < 1 + int(random, 4); i++) text[int(random, text.length)] = int(random, 256);
      return text;
    }
    default:
      header.pad = 'z'.repeat(LIMITS.maxHeaderBytes);
  }
  return Buffer.from(JSON.stringify(header));
}

/** A frame's or view's payload: mostly a JPEG of the samples' size, else of another size, or no image at all. */
function picture(random: Random): Buffer {
  const length = 32 + int(random, 200);
  const roll = random();
  if (roll < 0.7) return paddedJpeg(64, 48, length);
  if (roll < 0.85) return paddedJpeg(pick(random, [63, 64, 640, 16000]), pick(random, [47, 49, 480, 16000]), length);
  return bytes(random, length);
}

/** A message's parts: valid, mutated, or garbage. */
function fuzzedMessage(random: Random): Buffer[] {
  const roll = random();
  if (roll < 0.08) return Array.from({ length: int(random, 5) }, () => bytes(random, int(random, 120)));
  const kind = pick(random, MESSAGE_KINDS);
  const sample = SAMPLES[kind];
  const payload = sample.payload ? picture(random) : undefined;
  const parts = encode(sample.topic, int(random, 1000), sample.fields as FieldsOf<MessageKind>, payload);
  if (roll < 0.3) return parts;
  const header = JSON.parse(parts[1]!.toString()) as Record<string, unknown>;
  switch (int(random, 6)) {
    case 0:
      return [parts[1]!, parts[0]!, ...parts.slice(2)];
    case 1:
      return [Buffer.from(pick(random, ['car/1/warp', 'car//frame', 'truck/1/frame', 'car/1/frame/x', 'car/a b/control', 'nuc/ota'])), ...parts.slice(1)];
    case 2:
      return payload ? parts.slice(0, 2) : [...parts, bytes(random, 8)];
    case 3:
      return payload ? [parts[0]!, parts[1]!, Buffer.alloc(LIMITS.maxPayloadBytes + 1 + int(random, 100))] : [...parts, Buffer.alloc(1), Buffer.alloc(1)];
    default:
      return [parts[0]!, mutateHeader(random, header), ...parts.slice(2)];
  }
}

describe('bus codec under fuzzing', () => {
  it(`decodes ${MESSAGES} seeded random messages without throwing, each valid or dropped by reason`, () => {
    const random = seededRandom(20_240_612);
    const outcomes = new Map<DropReason | 'valid', number>();
    const thrown: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const parts = fuzzedMessage(random);
      try {
        const decoded = decode(parts, LIMITS);
        if (decoded.ok) {
          // a valid message passes its closed schema again, under the topic it names
          expect(headerValidator(decoded.message.kind).Check(decoded.message.header)).toBe(true);
          expect(parseTopic(decoded.message.topicText)).toEqual(decoded.message.topic);
        } else {
          expect(DROP_REASONS).toContain(decoded.reason);
          expect(decoded.detail.length).toBeGreaterThan(0);
        }
        const outcome = decoded.ok ? 'valid' : decoded.reason;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      } catch (error) {
        thrown.push(`message ${i}: ${(error as Error).message}`);
      }
    }
    expect(thrown).toEqual([]);
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(MESSAGES);
    // the generator reaches every reason, so none of them is untested
    for (const reason of [...DROP_REASONS, 'valid'] as const) expect(outcomes.get(reason) ?? 0, reason).toBeGreaterThan(0);
  });

  it('runs the same stream, sealed by keys of every role, through the proxy gate without throwing', () => {
    const random = seededRandom(7);
    const server = generateKeyPair();
    const identities: Identity[] = [
      { name: 'wheel', role: 'nuc', service: 'wheel' },
      { name: 'server', role: 'nuc', service: 'server' },
      { name: 'car-1', role: 'car', car: '1' },
      { name: 'driver-1', role: 'driver', cars: ['1'] },
      { name: 'viewer', role: 'viewer' },
    ];
    const peers = identities.map((identity) => {
      const pair = generateKeyPair();
      return { client: { ...identity, publicKey: pair.publicKey } as PairedClient, security: new ClientSecurity({ ...pair, serverKey: server.publicKey }) };
    });
    const stranger = new ClientSecurity({ ...generateKeyPair(), serverKey: server.publicKey });
    const gate = new BusGate({ limits: LIMITS, releaseHintIntervalMs: 1000 }, { serverSecretKey: server.secretKey, clients: peers.map((p) => p.client) });
    const outcomes = new Map<GateDropReason | 'forwarded', number>();
    for (let i = 0; i < MESSAGES / 2; i++) {
      const parts = fuzzedMessage(random);
      const peer = pick(random, peers);
      const sealing = random();
      const sealed =
        sealing < 0.05 ? parts : sealing < 0.1 ? [...parts, stranger.sealer.seal(parts)] : sealing < 0.15 ? [...parts, peer.security.sealer.seal([...parts, Buffer.of(1)])] : [...parts, peer.security.sealer.seal(parts)];
      const admission = gate.admit(sealed, i * 10);
      const outcome = admission.ok ? 'forwarded' : admission.reason;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (admission.ok) expect(decode(admission.parts, LIMITS).ok).toBe(true);
      // a subscription made of the same bytes is refused or applied, never thrown on
      expect(['subscribe', 'unsubscribe', 'none', 'junk']).toContain(gate.admitSubscription([parts[0] ?? Buffer.alloc(0)]).apply);
    }
    for (const reason of ['forwarded', 'unsealed', 'unknown-key', 'bad-seal', 'not-permitted', 'no-control-authority', 'schema'] as const) {
      expect(outcomes.get(reason) ?? 0, reason).toBeGreaterThan(0);
    }
  });
});
