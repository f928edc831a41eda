/**
 * The bus's types follow the message kind: `npm run typecheck` fails when one of these no longer
 * holds (a `@ts-expect-error` that finds no error is itself an error). The test run checks the
 * runtime half: a decoded message names its kind and keeps its parts.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { jpegHeaderOnly } from '../test/support/jpegs.ts';
import { decode, encode, type BusMessage } from './codec.ts';
import type { Mailbox } from './mailbox.ts';
import type { HeaderOf } from './messages.ts';
import type { BusPublisher, BusSubscriber } from './sockets.ts';
import { carTopic, nucTopic } from './topics.ts';

/** Never called: only compiled. */
function publisherTypes(publisher: BusPublisher): void {
  void publisher.send(carTopic('1', 'control'), { angle: 0, throttle: 0 });
  void publisher.send(nucTopic('ota', 'release'), { timestamp: 3 });
  void publisher.send(carTopic('1', 'frame'), { width: 1, height: 1, format: 'jpeg' }, Buffer.alloc(1));
  // @ts-expect-error a control header has no width
  void publisher.send(carTopic('1', 'control'), { width: 1, height: 1, format: 'jpeg' });
  // @ts-expect-error a frame goes with its JPEG
  void publisher.send(carTopic('1', 'frame'), { width: 1, height: 1, format: 'jpeg' });
  // @ts-expect-error only frames and views carry a payload
  void publisher.send(carTopic('1', 'control'), { angle: 0, throttle: 0 }, Buffer.alloc(1));
  // @ts-expect-error a topic must end with a known kind
  void publisher.send('car/1/warp', { angle: 0, throttle: 0 });
}

function subscriberTypes(subscriber: BusSubscriber): void {
  subscriber.on('sim', (message) => expectTypeOf(message.header).toEqualTypeOf<HeaderOf<'sim'>>());
  subscriber.on((message) => {
    if (message.kind === 'drive') expectTypeOf(message.header).toEqualTypeOf<HeaderOf<'drive'>>();
    if (message.kind === 'view') expectTypeOf(message.payload).toEqualTypeOf<Buffer>();
    if (message.kind === 'control') expectTypeOf(message.payload).toEqualTypeOf<undefined>();
  });
  expectTypeOf(subscriber.mailbox(carTopic('1', 'drive'))).toEqualTypeOf<Mailbox<BusMessage<'drive'>>>();
}

describe('bus message types', () => {
  it('are checked by the compiler (these functions only need to compile)', () => {
    expectTypeOf(publisherTypes).toBeFunction();
    expectTypeOf(subscriberTypes).toBeFunction();
  });

  it('narrow a decoded message on the kind it names, with the parts it came in', () => {
    const jpeg = jpegHeaderOnly(2, 2);
    const parts = encode<'frame'>('car/1/frame', 0, { width: 2, height: 2, format: 'jpeg' }, jpeg);
    const decoded = decode(parts);
    if (!decoded.ok) throw new Error(decoded.detail);
    const { message } = decoded;
    expect(message.kind).toBe('frame');
    expect(message.parts).toBe(parts);
    if (message.kind !== 'frame') return;
    expectTypeOf(message.header).toEqualTypeOf<HeaderOf<'frame'>>();
    expect(message.payload.equals(jpeg)).toBe(true);
  });
});
