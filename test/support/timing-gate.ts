/**
 * Test support: a start/finish gate on a running platform's NUC bus, standing in for the timing
 * service (it holds a NUC `timing` key, as the service does): each `cross()` publishes a crossing on
 * `nuc/timing/crossing`. Ready once the NUC's race control has heard one (counted as refused: no session).
 */
import { BusPublisher, nucTopic, type BusEndpoints, type FieldsOf } from '../../protocol/index.ts';
import { getJson } from './platform.ts';
import { waitFor } from './net.ts';

export interface TimingGate {
  cross(fields?: Partial<FieldsOf<'crossing'>>): Promise<void>;
  close(): Promise<void>;
}

export async function openTimingGate(bus: BusEndpoints, baseUrl: string): Promise<TimingGate> {
  const publisher = BusPublisher.connect(bus);
  const gate: TimingGate = {
    cross: (fields = {}) => publisher.send(nucTopic('timing', 'crossing'), { gate: 'line', atMs: Date.now(), source: 'gpio', ...fields }),
    close: () => publisher.close(),
  };
  // a subscriber hears a new publisher only after it has joined: knock until race control counts one
  const heard = async () => (await getJson<{ refused: Record<string, number> }>(`${baseUrl}/api/race`)).refused.crossing_no_session ?? 0;
  const before = await heard();
  await waitFor(
    async () => {
      await gate.cross({ atMs: Date.now() });
      return (await heard()) > before;
    },
    'the NUC to hear the timing gate',
    30_000,
    300,
  );
  return gate;
}

/**
 * The simulated cars' line crossings from their telemetry (each new simulator lap, at the NUC's time
 * less the time the car has been on its new lap), published through `gate` as the timing service
 * publishes the simulator's crossings. Stops when the returned function is called.
 */
export function followSimulatorLaps(gate: TimingGate, baseUrl: string, cars: readonly string[]): () => void {
  const laps = new Map<string, number>();
  let stopped = false;
  const poll = async (): Promise<void> => {
    while (!stopped) {
      const list = await getJson<Array<{ id: string; telemetry?: { sim?: { lap: number; lapTimeS: number } } }>>(`${baseUrl}/api/cars`).catch(() => []);
      for (const car of list) {
        const sim = car.telemetry?.sim;
        if (!sim || !cars.includes(car.id)) continue;
        const last = laps.get(car.id);
        laps.set(car.id, sim.lap);
        if (last !== undefined && sim.lap > last) await gate.cross({ car: car.id, source: 'sim', atMs: Math.round(Date.now() - sim.lapTimeS * 1000) });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  void poll();
  return () => {
    stopped = true;
  };
}
