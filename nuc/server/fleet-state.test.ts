import { describe, expect, it } from 'vitest';
import { encode, decode, type BusMessage } from '../../protocol/index.ts';
import { busMessage, telemetry } from '../../test/support/server-feed.ts';
import { FleetState, MAX_SERVICES } from './fleet-state.ts';

/** A message as an older, open schema would pass it: extra fields in the header. */
function withExtra(topic: string, fields: object): BusMessage {
  const decoded = decode(encode(topic, 0, fields as never));
  if (!decoded.ok) throw new Error(decoded.detail);
  return decoded.message;
}

const metrics = (service: string) =>
  busMessage<'metrics'>('nuc/x/metrics', { service, pid: 1, uptimeS: 1, rssBytes: 1, counters: { in: 0, out: 0, dropped: 0, droppedBy: {} }, loops: {} });

describe('FleetState', () => {
  it('keeps the named fields of a header only: an extra `car` or a blob never reaches the API', () => {
    const fleet = new FleetState();
    const message = withExtra('car/1/telemetry', { ...telemetry({ angle: 0.25 }), car: '9', blob: 'x'.repeat(1000) });
    fleet.ingest(message, 0);
    const [car] = fleet.carStates();
    expect(car?.id).toBe('1');
    expect(car?.telemetry).not.toHaveProperty('car');
    expect(car?.telemetry).not.toHaveProperty('blob');
    expect(car?.telemetry).toMatchObject({ angle: 0.25, mode: 'user' });
  });

  it('forgets cars and services silent for longer than the expiry', () => {
    const fleet = new FleetState();
    fleet.ingest(busMessage<'telemetry'>('car/1/telemetry', telemetry()), 0);
    fleet.ingest(busMessage<'telemetry'>('car/2/telemetry', telemetry()), 50_000);
    fleet.ingest(metrics('old'), 0);
    expect(fleet.forgetSilent(60_000, 30_000)).toEqual(['1']);
    expect(fleet.carStates().map((c) => c.id)).toEqual(['2']);
    expect(fleet.serviceReports()).toEqual([]);
  });

  it('caps the services it tracks, so made-up service names cannot grow it', () => {
    const fleet = new FleetState();
    for (let i = 0; i < MAX_SERVICES + 50; i++) fleet.ingest(metrics(`s${i}`), 0);
    expect(fleet.serviceReports()).toHaveLength(MAX_SERVICES);
  });
});
