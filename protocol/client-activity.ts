/**
 * What the secured proxy did with each paired key's messages and subscriptions: accepted, and
 * refused by reason, and when the key was last seen. Bounded: one entry per paired name (the
 * allow-list's bound), reasons from the gate's fixed lists; a key removed from the allow-list is
 * forgotten. A message refused before its sender is known (unsealed, an unknown key) belongs to no
 * key and is counted only in the proxy's own counters.
 */
import type { GateDropReason, SubscriptionRefusal } from './security/index.ts';

export interface ClientActivity {
  /** ms since the epoch; absent when not seen since the proxy started */
  lastSeen?: number;
  messages: { accepted: number; refused: Partial<Record<GateDropReason, number>> };
  subscriptions: { applied: number; cancelled: number; refused: Partial<Record<SubscriptionRefusal, number>> };
}

export function emptyActivity(): ClientActivity {
  return { messages: { accepted: 0, refused: {} }, subscriptions: { applied: 0, cancelled: 0, refused: {} } };
}

export class ClientActivityLog {
  private readonly byName = new Map<string, ClientActivity>();
  /** bumped on every change, so a writer can skip an unchanged snapshot */
  version = 0;

  private entry(name: string): ClientActivity {
    let entry = this.byName.get(name);
    if (!entry) {
      entry = emptyActivity();
      this.byName.set(name, entry);
    }
    this.version++;
    return entry;
  }

  seen(name: string, now: number): void {
    this.entry(name).lastSeen = now;
  }

  accepted(name: string): void {
    this.entry(name).messages.accepted++;
  }

  refused(name: string, reason: GateDropReason): void {
    const refused = this.entry(name).messages.refused;
    refused[reason] = (refused[reason] ?? 0) + 1;
  }

  subscriptionApplied(name: string): void {
    this.entry(name).subscriptions.applied++;
  }

  subscriptionCancelled(name: string): void {
    this.entry(name).subscriptions.cancelled++;
  }

  subscriptionRefused(name: string, reason: SubscriptionRefusal): void {
    const refused = this.entry(name).subscriptions.refused;
    refused[reason] = (refused[reason] ?? 0) + 1;
  }

  /** Keeps only these names (the allow-list now). */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.byName.keys()) if (!names.has(name)) this.byName.delete(name);
    this.version++;
  }

  /** A copy, by name. */
  snapshot(): Record<string, ClientActivity> {
    return Object.fromEntries([...this.byName].map(([name, activity]) => [name, structuredClone(activity)]));
  }

  /** When each key was last seen, by name. */
  lastSeen(): Map<string, number> {
    return new Map([...this.byName].flatMap(([name, activity]) => (activity.lastSeen === undefined ? [] : [[name, activity.lastSeen] as const])));
  }
}
