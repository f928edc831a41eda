/**
 * The wire rules a client of the NUC bus needs besides the fields: connecting, the parts of a
 * message, `v`, `ts` and `seq`, the seal, subscribing, when a new publisher's messages start to
 * count, and the refusal reasons. The numbers come from the code that enforces them.
 */
import { DEFAULT_LIMITS, MAX_HEADER_BYTES, MAX_HEADER_DEPTH } from '../codec.ts';
import { DEFAULT_PORTS } from '../endpoints.ts';
import { PROTOCOL_VERSION } from '../messages.ts';
import { CLIENT_KEY_FILES, GATE_DROP_REASONS, SEAL_BYTES, SEAL_DOMAINS, SEAL_KEY_DERIVATION, SEAL_VERSION, SUBSCRIPTION_REFUSALS } from '../security/index.ts';
import type { GateDropReason, SubscriptionRefusal } from '../security/index.ts';

const hex = (byte: number) => `0x${byte.toString(16).padStart(2, '0')}`;
const KiB = 1024;

/** The constants, machine-readable (the AsyncAPI document's `x-wire`). */
export const WIRE = {
  protocolVersion: PROTOCOL_VERSION,
  ports: { publishers: DEFAULT_PORTS.publishers, subscribers: DEFAULT_PORTS.subscribers },
  keyFiles: CLIENT_KEY_FILES,
  maxHeaderBytes: MAX_HEADER_BYTES,
  maxHeaderDepth: MAX_HEADER_DEPTH,
  defaultMaxPayloadBytes: DEFAULT_LIMITS.maxPayloadBytes,
  seal: {
    bytes: SEAL_BYTES,
    version: SEAL_VERSION,
    hkdf: SEAL_KEY_DERIVATION,
    messageDomain: SEAL_DOMAINS.message,
    subscriptionDomain: SEAL_DOMAINS.subscription,
  },
} as const;

export type Refusal = GateDropReason | SubscriptionRefusal;

/** What each refusal means, for the one who sent it. */
export const REFUSAL_MEANINGS: Record<Refusal, string> = {
  unsealed: 'the last part is not a seal (or the message has fewer than 2 parts)',
  'unknown-key': 'sealed by a key that is not paired',
  'bad-seal': "the seal's HMAC does not match the parts (wrong key, wrong content framing, or a part changed)",
  parts: 'not 2 or 3 parts (after the seal is taken off)',
  topic: 'the topic is not `car/<id>/<kind>` or `nuc/<service>/<kind>` with a known kind and an id of 1-32 of `A-Za-z0-9_-`',
  'header-size': `the header is longer than ${MAX_HEADER_BYTES / KiB} KiB`,
  depth: `the header nests objects or arrays deeper than ${MAX_HEADER_DEPTH}`,
  json: 'the header is not UTF-8 JSON',
  version: `\`v\` is greater than ${PROTOCOL_VERSION}`,
  'unknown-field': 'the header has a field its kind does not have',
  schema: 'a field is missing, of the wrong type, or out of its bounds (or `v` is missing or below 1)',
  payload: 'a frame or view without its JPEG part, or another kind with a third part',
  oversized: 'the payload is larger than `bus.maxPayloadBytes`',
  frame_format: 'the payload is not a JPEG',
  frame_size_mismatch: "the JPEG's own size is not the header's `width` × `height` (or, for a car's frame, not the configured camera size)",
  'not-permitted': "the key's role may not publish this topic",
  'no-control-authority': 'a control from a key that may only set the emergency stop, carrying more than `{angle: 0, throttle: 0, estop: true}`',
  'release-rate': 'a release hint closer to the previous one than `bus.releaseHintIntervalMs`',
  'subscription-unsealed': 'a subscription without a seal (a plain SUB socket\'s): never applied',
  'subscription-unknown-key': 'a subscription sealed by a key that is not paired',
  'subscription-bad-seal': "the subscription's seal does not match its prefix",
  'subscription-not-permitted': 'the prefix can match a topic the key may not read (e.g. a viewer subscribing to `car/1/`)',
};

/** Both lists, so a test can check every reason has its meaning. */
export const REFUSALS: readonly Refusal[] = [...GATE_DROP_REASONS, ...SUBSCRIPTION_REFUSALS];

/** The rules as README sections (markdown), in the order a client meets them. */
export function wireSections(): { title: string; body: string }[] {
  const { hkdf } = WIRE.seal;
  return [
    {
      title: 'Connecting',
      body: [
        `Two TCP endpoints on the NUC (\`nuc.host\`): **publishers** connect to port ${WIRE.ports.publishers} (\`nuc.busPublishersPort\`, the proxy's XSUB socket), **subscribers** to port ${WIRE.ports.subscribers} (\`nuc.busSubscribersPort\`, the proxy's XPUB socket).`,
        `Every connection is a CURVE client: server key \`${CLIENT_KEY_FILES.serverKey}\`, public key \`${CLIENT_KEY_FILES.publicKey}\`, secret key \`${CLIENT_KEY_FILES.secretKey}\` from the directory \`npm run bus -- pair <name> --role driver|viewer|car … --out <dir>\` writes; each file is one line, a 40-character Z85 key (ZeroMQ RFC 32; take off the newline). A key that is not paired gets no connection (the handshake fails; a socket monitor reports an authentication failure).`,
        `Each message part may be at most \`bus.maxPayloadBytes\` (default ${WIRE.defaultMaxPayloadBytes / KiB / KiB} MiB) + ${MAX_HEADER_BYTES / KiB} KiB: a larger one makes libzmq drop the connection (it reconnects).`,
      ].join('\n\n'),
    },
    {
      title: 'A message',
      body: [
        'Subscribers receive `[topic, header]`, or `[topic, header, payload]` for `frame` and `view` (only those). Publishers send the same parts followed by the seal.',
        '- `topic`: UTF-8, `car/<car id>/<kind>` or `nuc/<service>/<kind>`; ids are 1-32 of `A-Z a-z 0-9 _ -`. The kind is always last, so the prefix `car/7/` never matches `car/70/`.',
        `- \`header\`: a UTF-8 JSON object of at most ${MAX_HEADER_BYTES / KiB} KiB, nested at most ${MAX_HEADER_DEPTH} deep, with exactly the fields of its kind's table below: an unknown field is refused, never ignored.`,
        `- \`v\`: the integer ${PROTOCOL_VERSION} (\`PROTOCOL_VERSION\`). A higher \`v\` is dropped as \`version\`.`,
        '- `ts`: when the sender sent it, in **milliseconds since the Unix epoch** (1970-01-01 UTC) on its wall clock, a number ≥ 0 (`Date.now()`, `time.time() * 1000`). Receivers time what matters by their own clock at receipt (a control\'s age, a recording\'s pairing); `ts` is for display and measurement.',
        '- `seq`: an integer ≥ 0 per topic and sender: 0 for the first message a sender publishes on a topic, then one more for each. The NUC proxy and the car do not drop a message for its `seq`: a control is applied when it arrives and the newest arrival wins, so send one topic\'s messages in order on one socket; a tool that restarts starts at 0 again. (Only the car-local `drive` commands are ordered by `seq`: the actuator ignores one not newer than the last from the same pilot instance.)',
        '- `payload` (frame, view): one JPEG image whose own size (its SOF marker) is the header\'s `width` × `height`; a car\'s frame must also be the configured camera size (`car.camera.width` × `height`).',
      ].join('\n'),
    },
    {
      title: 'The seal',
      body: [
        'The proxy must know which key sent each message and subscription, so every one carries a seal as its last part; the proxy checks it and takes it off.',
        '```',
        `seal    = ${hex(SEAL_VERSION)} · the sender's CURVE public key (32 bytes, Z85-decoded) · HMAC-SHA256(key, content) (32 bytes)   = ${SEAL_BYTES} bytes`,
        `key     = HKDF-${hkdf.hash.toUpperCase()}(input X25519(client secret, NUC public), salt "${hkdf.salt}", info "${hkdf.info}", length ${hkdf.length} bytes)`,
        `message content      = "${SEAL_DOMAINS.message}" · for each part (topic, header, payload if any): its length as 4 bytes big-endian · the part`,
        `subscription content = "${SEAL_DOMAINS.subscription}" · the topic prefix`,
        '```',
        'The X25519 input is the 32-byte shared secret of the client\'s secret key and the NUC\'s public key (both Z85-decoded to 32 bytes); the salt and info are those ASCII bytes. A publisher sends `[topic, header, payload?, seal]`.',
      ].join('\n'),
    },
    {
      title: 'Subscribing',
      body: [
        `Use an **XSUB** socket connected to port ${WIRE.ports.subscribers} (a SUB socket's subscriptions carry no seal and are never applied). Subscribe by sending one single-part message per prefix: \`0x01 · prefix · 0x00 · seal\` (the seal over "${SEAL_DOMAINS.subscription}" · prefix); cancel with \`0x00 · prefix · 0x00 · seal\`, the same seal. Send nothing else on that socket: anything that is not a subscription makes the proxy renew its subscribers' side, which every subscriber feels as a reconnect.`,
        'A subscription is applied only when the key may read **every** topic the prefix can match: a driver or viewer subscribes to `car/1/frame` and `car/1/telemetry`, not to `car/1/` (that would include controls). Nothing is sent back either way: messages arrive, or the refusal is counted for the key (see "Refusals" below). The XSUB socket re-sends its subscriptions by itself after a reconnect.',
      ].join('\n\n'),
    },
    {
      title: 'Publishing, and when the first message counts',
      body: [
        `Use an **XPUB** socket (or PUB) connected to port ${WIRE.ports.publishers}. ZeroMQ's slow joiner: a publishing socket drops every message until the proxy's subscription has reached it over the new connection, silently. The proxy subscribes each publisher to everything, so after the CURVE handshake an XPUB socket **receives the one-byte message \`0x01\`**: from then on what it sends is delivered. Wait for it before the first message (again after a reconnect, when it arrives again). A PUB socket cannot tell; a control sent on one right after connecting is lost.`,
      ].join('\n\n'),
    },
    {
      title: 'Refusals',
      body: [
        'The proxy drops what fails and sends nothing back. It counts every message and subscription per paired key, accepted and refused by reason: `npm run bus -- list` and `GET /api/bus/clients` (token) show them (about a second late); `GET /metrics` has the proxy-wide totals.',
        '',
        '| reason | the message or subscription was dropped because |',
        '|---|---|',
        ...REFUSALS.map((reason) => `| \`${reason}\` | ${REFUSAL_MEANINGS[reason]} |`),
      ].join('\n'),
    },
  ];
}
