/**
 * Who may say what on the NUC bus. Every client key has a name and a role; the table below says,
 * per topic, which roles may publish it and which may receive it. It is data: a new kind that the
 * NUC sends to a car (a reset, a calibration command) is one line with `publish: CONTROL_SOURCES`.
 */
import type { BusMessage } from '../codec.ts';
import type { HeaderOf } from '../messages.ts';
import { MESSAGE_KINDS, isValidId, type MessageKind, type Scope, type Topic } from '../topics.ts';

export const ROLES = ['nuc', 'car', 'driver', 'viewer', 'timing'] as const;
export type Role = (typeof ROLES)[number];

/** A client key's name and what it may do. */
export type Identity =
  /** one of the NUC's own services (proxy, wheel, compositor, recorder, server, training) */
  | { name: string; role: 'nuc'; service: string }
  /** a car: publishes only its own topics, receives its control and the NUC's broadcasts */
  | { name: string; role: 'car'; car: string }
  /** watches, and drives the cars it is bound to */
  | { name: string; role: 'driver'; cars: readonly string[] }
  /** watches */
  | { name: string; role: 'viewer' }
  /** a timing gate at the line (a small computer with the sensor): publishes crossings, nothing else */
  | { name: string; role: 'timing' };

/** An identity with its CURVE public key (Z85), as the allow-list holds it. */
export type PairedClient = Identity & { publicKey: string };

/** Who a rule lets in, judged against the topic's car or service id. */
export type Grant =
  | { who: 'nuc'; services?: readonly string[] }
  /** the NUC service the topic names: `nuc/<service>/…` */
  | { who: 'topic-service' }
  /** the car key bound to the topic's car */
  | { who: 'own-car' }
  /** a driver key bound to the topic's car */
  | { who: 'car-driver' }
  /** every driver and viewer */
  | { who: 'watchers' }
  /** a paired timing gate */
  | { who: 'timing-gate' }
  | { who: 'anyone' };

const NUC: Grant = { who: 'nuc' };
const nucService = (...services: string[]): Grant => ({ who: 'nuc', services });
const TOPIC_SERVICE: Grant = { who: 'topic-service' };
const OWN_CAR: Grant = { who: 'own-car' };
const CAR_DRIVER: Grant = { who: 'car-driver' };
const WATCHERS: Grant = { who: 'watchers' };
const ANYONE: Grant = { who: 'anyone' };
const TIMING_GATE: Grant = { who: 'timing-gate' };

/** Who may command a car: the NUC's wheel and server (the dashboard, behind its token), and the car's drivers. */
export const CONTROL_SOURCES: readonly Grant[] = [nucService('wheel', 'server'), CAR_DRIVER];

export interface TopicRule {
  publish: readonly Grant[];
  /** who receives it: a subscription is applied only when every topic it can match may be read */
  read: readonly Grant[];
  /** anyone paired may send it when it only sets the emergency stop (angle 0, throttle 0, nothing else) */
  estopFromAnyone?: true;
}

/**
 * `<scope>/<id or *>/<kind>`: an exact topic wins over the `*` rule of its kind. A topic with no rule
 * (the car-local kinds: drive, applied, sim, link) is never forwarded; every other kind must have one
 * (roles.test.ts checks that a new kind is given one).
 */
export const TOPIC_RULES: Readonly<Record<string, TopicRule>> = {
  'car/*/frame': { publish: [OWN_CAR], read: [NUC, WATCHERS] },
  'car/*/telemetry': { publish: [OWN_CAR], read: [NUC, WATCHERS] },
  'car/*/agent': { publish: [OWN_CAR], read: [NUC] },
  'car/*/metrics': { publish: [OWN_CAR], read: [NUC] },
  'car/*/view': { publish: [nucService('compositor')], read: [NUC, WATCHERS] },
  'car/*/control': { publish: CONTROL_SOURCES, read: [NUC, OWN_CAR], estopFromAnyone: true },
  /** put back on the track or the grid: a command to the car like control (the wheel's reset button, the dashboard, race control) */
  'car/*/reset': { publish: CONTROL_SOURCES, read: [NUC, OWN_CAR] },
  /** erase the last seconds of the car's recording: the recorder's, from whoever may command the car (the wheel's button, the driver's screen) */
  'car/*/erase': { publish: CONTROL_SOURCES, read: [NUC] },
  /** raw pulse counts for a real car's calibration: only the server's calibration page (behind its token) */
  'car/*/calibrate': { publish: [nucService('server')], read: [NUC, OWN_CAR] },
  'nuc/*/metrics': { publish: [TOPIC_SERVICE], read: [NUC] },
  'nuc/recorder/recording': { publish: [nucService('recorder')], read: [NUC] },
  'nuc/ota/release': { publish: [nucService('server')], read: [ANYONE] },
  /** the shared track and the race: the server's, for every car's sim, camera and pilot */
  'nuc/track/poses': { publish: [nucService('server')], read: [ANYONE] },
  /** which cars the server wants composited: for the compositor */
  'nuc/server/compose': { publish: [nucService('server')], read: [NUC] },
  /** start/finish line crossings: the timing service's (on the NUC, or a gate paired with the timing role), for race control and every screen */
  'nuc/timing/crossing': { publish: [nucService('timing'), TIMING_GATE], read: [NUC, WATCHERS] },
};


function ruleFor(topic: Topic): TopicRule | undefined {
  return TOPIC_RULES[`${topic.scope}/${topic.id}/${topic.kind}`] ?? TOPIC_RULES[`${topic.scope}/*/${topic.kind}`];
}

/** Whether `grant` lets `identity` in for the topic of this scope and id. */
function holds(grant: Grant, identity: Identity, scope: Scope, id: string): boolean {
  switch (grant.who) {
    case 'nuc':
      return identity.role === 'nuc' && (grant.services === undefined || grant.services.includes(identity.service));
    case 'topic-service':
      return identity.role === 'nuc' && scope === 'nuc' && identity.service === id;
    case 'own-car':
      return identity.role === 'car' && scope === 'car' && identity.car === id;
    case 'car-driver':
      return identity.role === 'driver' && scope === 'car' && identity.cars.includes(id);
    case 'watchers':
      return identity.role === 'driver' || identity.role === 'viewer';
    case 'timing-gate':
      return identity.role === 'timing';
    case 'anyone':
      return true;
  }
}

/** Whether `grant` lets `identity` in for every id of the scope (a subscription to `car/` or `car/1`). */
function holdsForEveryId(grant: Grant, identity: Identity): boolean {
  // these grants do not depend on the topic's id; the others name one car or service
  return (grant.who === 'nuc' || grant.who === 'watchers' || grant.who === 'anyone') && holds(grant, identity, 'car', '');
}

/** A control that only latches the emergency stop: any paired key may send it. */
export function setsOnlyEstop(header: HeaderOf<'control'>): boolean {
  return header.estop === true && header.angle === 0 && header.throttle === 0 && header.mode === undefined && header.recording === undefined;
}

export const PUBLISH_REFUSALS = ['not-permitted', 'no-control-authority'] as const;
export type PublishRefusal = (typeof PUBLISH_REFUSALS)[number];

/** Why `identity` may not publish this message, or undefined when it may. */
export function publishRefusal(identity: Identity, message: BusMessage): PublishRefusal | undefined {
  const { topic } = message;
  const rule = ruleFor(topic);
  if (!rule) return 'not-permitted';
  if (rule.publish.some((grant) => holds(grant, identity, topic.scope, topic.id))) return undefined;
  if (!rule.estopFromAnyone) return 'not-permitted';
  return message.kind === 'control' && setsOnlyEstop(message.header) ? undefined : 'no-control-authority';
}

const SCOPES: readonly Scope[] = ['car', 'nuc'];

/** The topics a subscription prefix can match, as (scope, id, kinds); id undefined: any id. */
function matchedTopics(prefix: string): { scope: Scope; id: string | undefined; kinds: readonly MessageKind[] }[] {
  const matched: { scope: Scope; id: string | undefined; kinds: readonly MessageKind[] }[] = [];
  for (const scope of SCOPES) {
    if (prefix.length <= scope.length) {
      if (scope.startsWith(prefix)) matched.push({ scope, id: undefined, kinds: MESSAGE_KINDS });
      continue;
    }
    if (!prefix.startsWith(`${scope}/`)) continue;
    const rest = prefix.slice(scope.length + 1);
    const slash = rest.indexOf('/');
    // a partial id (`car/1`) also matches `car/10/…`: any id
    if (slash < 0) {
      matched.push({ scope, id: undefined, kinds: MESSAGE_KINDS });
      continue;
    }
    const id = rest.slice(0, slash);
    const kindPrefix = rest.slice(slash + 1);
    if (!isValidId(id) || kindPrefix.includes('/')) continue;
    matched.push({ scope, id, kinds: MESSAGE_KINDS.filter((kind) => kind.startsWith(kindPrefix)) });
  }
  return matched;
}

/**
 * Whether `identity` may receive everything a subscription to `prefix` can match. A prefix that
 * reaches one forbidden topic is refused whole (ZeroMQ filters by prefix only, so it cannot be
 * narrowed): a viewer subscribes to `car/1/frame`, not `car/1/`.
 */
export function mayReceive(identity: Identity, prefix: string): boolean {
  return matchedTopics(prefix).every(({ scope, id, kinds }) =>
    kinds.every((kind) => {
      if (id !== undefined) {
        const rule = ruleFor({ scope, id, kind });
        return rule === undefined || rule.read.some((grant) => holds(grant, identity, scope, id));
      }
      // any id: the kind's `*` rule and every exact rule of the kind must let the identity in
      const rules = Object.entries(TOPIC_RULES)
        .filter(([pattern]) => pattern.startsWith(`${scope}/`) && pattern.endsWith(`/${kind}`))
        .map(([, rule]) => rule);
      return rules.every((rule) => rule.read.some((grant) => holdsForEveryId(grant, identity)));
    }),
  );
}
