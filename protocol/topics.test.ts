import { describe, expect, it } from 'vitest';
import { carPrefix, carTopic, nucTopic, parseTopic, TopicError } from './topics.ts';

describe('topics', () => {
  it('builds car and nuc topics ending with the kind', () => {
    expect(carTopic('7', 'control')).toBe('car/7/control');
    expect(nucTopic('wheel', 'metrics')).toBe('nuc/wheel/metrics');
  });

  it('never lets car 7 prefix-match car 70', () => {
    const prefix = carPrefix('7');
    expect(carTopic('7', 'frame').startsWith(prefix)).toBe(true);
    expect(carTopic('70', 'frame').startsWith(prefix)).toBe(false);
  });

  it('round-trips through the parser', () => {
    expect(parseTopic('car/70/frame')).toEqual({ scope: 'car', id: '70', kind: 'frame' });
    expect(parseTopic('nuc/server/metrics')).toEqual({ scope: 'nuc', id: 'server', kind: 'metrics' });
  });

  it('rejects malformed topics', () => {
    for (const bad of ['car/7', 'car/7/frame/x', 'truck/7/frame', 'car//frame', 'car/7/teleport', 'car/a b/frame', '']) {
      expect(parseTopic(bad), bad).toBeUndefined();
    }
    expect(() => carTopic('7/x', 'frame')).toThrow(TopicError);
  });
});
