/**
 * Each message kind as the contract presents it: what it is for (written here, one line per kind:
 * a new kind does not type-check until it has one), and its topics with who publishes and who may
 * read them, read from the role table (roles.ts), which the NUC proxy enforces.
 */
import { PAYLOAD_KINDS } from '../messages.ts';
import { TOPIC_RULES, type Grant } from '../security/index.ts';
import { MESSAGE_KINDS, type MessageKind } from '../topics.ts';

export interface KindNote {
  summary: string;
  /** what a client must know to use it that the fields do not say */
  usage?: string;
}

export const KIND_NOTES: Record<MessageKind, KindNote> = {
  frame: { summary: "a car's camera frame, as the car publishes it" },
  view: { summary: "the driver's view: a camera frame composited onto the background by the NUC" },
  control: {
    summary: 'the driver\'s input for one car: steering, throttle and the sticky flags (mode, recording, estop)',
    usage:
      'The car acts on every control the moment it arrives, the newest arrival wins, and control older than `car.drive.userTimeoutMs` ' +
      '(default 500 ms, timed by the car at receipt) counts as gone: throttle 0, so a driver repeats its newest control well ' +
      'within that (every 50–100 ms). `angle` and `throttle` are used only in the modes that give the driver ' +
      'them (`user`: both, `local_angle`: throttle); a car starts in `car.drive.mode` (the demo: `local`), so send `mode: "user"` ' +
      'to drive. `mode`, `recording` and `estop` stay as last set when absent. Any paired key may send an emergency stop: ' +
      '`{angle: 0, throttle: 0, estop: true}` and nothing else.',
  },
  drive: { summary: "the pilot's decision for the actuator (car-local)" },
  applied: { summary: 'what the actuator wrote to the PCA9685, and why (car-local)' },
  telemetry: { summary: "a car's state once per drive loop: mode, steering, throttle, pilot, loop timing, the simulator's state" },
  agent: { summary: "a car's update agent: the release it runs, its slot and the update in progress" },
  metrics: { summary: "a service's counters, gauges and loop timings, every `bus.metricsIntervalMs`" },
  sim: { summary: "the simulator's pose and track state at the physics rate (car-local)" },
  recording: { summary: "the recorder's state for one car, on change and every few seconds" },
  release: { summary: 'a hint that the update repository changed: a car\'s agent polls at once (and still verifies everything)' },
  link: { summary: "the car's link to the NUC as its uplink sees it (car-local)" },
  calibrate: { summary: "calibrating a real car's steering and throttle counts from the NUC's calibration page" },
  poses: { summary: "the shared track: every car's pose and the race in progress, at `nuc.race.posesHz`" },
  reset: { summary: 'put a simulated car back on the track or on a grid slot; a reset to the grid also holds any car\'s pilot until poses sent after it lift the hold' },
  compose: { summary: 'the cars the server wants the compositor to composite' },
  erase: { summary: "erase the last seconds of a car's recording (the recorder marks them deleted in the tub, as Donkeycar's erase button does)" },
  crossing: { summary: 'a crossing of the start/finish line, from the timing service' },
};

export interface Channel {
  /** `car/{id}/frame`, `nuc/ota/release` */
  address: string;
  /** the car id or NUC service, when the address has `{id}` */
  parameter: 'car' | 'service' | undefined;
  /** who may publish it and who receives it; empty for a car-local kind */
  publishers: string[];
  readers: string[];
  /** never crosses the NUC bus */
  carLocal: boolean;
}

const ID_PARAMETER = { car: 'car', nuc: 'service' } as const;

/** Who a grant lets in, in words. */
export function describeGrant(grant: Grant): string {
  switch (grant.who) {
    case 'nuc':
      return grant.services ? `the NUC's ${grant.services.join(' and ')} service${grant.services.length > 1 ? 's' : ''}` : "the NUC's services";
    case 'topic-service':
      return 'the NUC service named in the topic';
    case 'own-car':
      return 'the car key bound to that car';
    case 'car-driver':
      return 'a driver key bound to that car';
    case 'watchers':
      return 'every driver and viewer key';
    case 'timing-gate':
      return 'a timing gate key (a gate paired at the line)';
    case 'anyone':
      return 'every paired key';
  }
}

/** The topics a kind is sent on, with who may publish and read each (from the role table). */
export function channelsOf(kind: MessageKind): Channel[] {
  const channels: Channel[] = [];
  for (const [pattern, rule] of Object.entries(TOPIC_RULES)) {
    const [scope, id, ruleKind] = pattern.split('/') as ['car' | 'nuc', string, string];
    if (ruleKind !== kind) continue;
    const publishers = rule.publish.map(describeGrant);
    if (rule.estopFromAnyone) publishers.push('every paired key, for an emergency stop only');
    channels.push({
      address: id === '*' ? `${scope}/{${ID_PARAMETER[scope]}}/${kind}` : pattern,
      parameter: id === '*' ? ID_PARAMETER[scope] : undefined,
      publishers,
      readers: rule.read.map(describeGrant),
      carLocal: false,
    });
  }
  // a kind with no rule never crosses the NUC bus: the car's own services send it on the car-local bus
  if (channels.length === 0) channels.push({ address: `car/{car}/${kind}`, parameter: 'car', publishers: [], readers: [], carLocal: true });
  return channels;
}

export function hasPayload(kind: MessageKind): boolean {
  return PAYLOAD_KINDS.has(kind);
}

/** Kinds that cross the NUC bus first (what a tool can use), then the car-local ones. */
export function kindsInOrder(): MessageKind[] {
  const crossing = MESSAGE_KINDS.filter((kind) => !channelsOf(kind)[0]!.carLocal);
  const local = MESSAGE_KINDS.filter((kind) => channelsOf(kind)[0]!.carLocal);
  return [...crossing, ...local];
}
