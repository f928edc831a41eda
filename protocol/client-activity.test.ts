import { describe, expect, it } from 'vitest';
import { ClientActivityLog } from './client-activity.ts';

describe('per-key activity', () => {
  it('counts accepted and refused messages and subscriptions per name, and forgets unpaired names', () => {
    const log = new ClientActivityLog();
    const before = log.version;
    log.seen('pat', 5);
    log.accepted('pat');
    log.refused('pat', 'schema');
    log.refused('pat', 'schema');
    log.subscriptionApplied('pat');
    log.subscriptionCancelled('pat');
    log.subscriptionRefused('viewer', 'subscription-not-permitted');
    expect(log.version).toBeGreaterThan(before);
    expect(log.snapshot()).toEqual({
      pat: { lastSeen: 5, messages: { accepted: 1, refused: { schema: 2 } }, subscriptions: { applied: 1, cancelled: 1, refused: {} } },
      viewer: { messages: { accepted: 0, refused: {} }, subscriptions: { applied: 0, cancelled: 0, refused: { 'subscription-not-permitted': 1 } } },
    });
    expect([...log.lastSeen()]).toEqual([['pat', 5]]);
    log.retain(new Set(['viewer']));
    expect(Object.keys(log.snapshot())).toEqual(['viewer']);
  });

  it('hands out copies', () => {
    const log = new ClientActivityLog();
    log.accepted('a');
    const snapshot = log.snapshot();
    snapshot.a!.messages.accepted = 99;
    expect(log.snapshot().a!.messages.accepted).toBe(1);
  });
});
