/**
 * What the server passes on to browsers is built here from named fields, never by spreading a bus
 * header: a field the schema does not name (a newer sender's, or an attacker's 60 KB of nesting, or
 * a `car` that would override the topic's car id) never reaches a page, the API or socket.io's encoder.
 */
import type { HeaderOf, LoopStats, SimState } from '../../protocol/index.ts';
import { osSlotsOf, osUpdateOf } from '../ota/index.ts';

/** Records the bus allows (drop reasons, loop timings, gauges) are copied up to this many entries. */
const MAX_RECORD_ENTRIES = 64;

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function boundedRecord<V, W>(record: Record<string, V> | undefined, copy: (value: V) => W): Record<string, W> {
  const out: Record<string, W> = {};
  if (!record) return out;
  let kept = 0;
  for (const [key, value] of Object.entries(record)) {
    if (kept++ >= MAX_RECORD_ENTRIES) break;
    out[key] = copy(value);
  }
  return out;
}

export function loopStats(loop: LoopStats): LoopStats {
  return { count: loop.count, overruns: loop.overruns, p50Ms: loop.p50Ms, p99Ms: loop.p99Ms, maxMs: loop.maxMs };
}

export function simState(sim: SimState): SimState {
  return {
    track: sim.track,
    x: sim.x,
    y: sim.y,
    heading: sim.heading,
    speed: sim.speed,
    cte: sim.cte,
    offTrack: sim.offTrack,
    offTrackEvents: sim.offTrackEvents,
    progress: sim.progress,
    lap: sim.lap,
    lapTimeS: sim.lapTimeS,
    ...optional('lastLapS', sim.lastLapS),
    ...optional('bestLapS', sim.bestLapS),
    ...optional('resets', sim.resets),
    ...optional('contacts', sim.contacts),
  };
}

export function telemetryFields(h: HeaderOf<'telemetry'>): HeaderOf<'telemetry'> {
  return {
    v: h.v,
    seq: h.seq,
    ts: h.ts,
    mode: h.mode,
    angle: h.angle,
    throttle: h.throttle,
    model: h.model,
    loop: loopStats(h.loop),
    ...optional('speed', h.speed),
    ...optional('recording', h.recording),
    ...optional('estop', h.estop),
    ...optional('inferMs', h.inferMs),
    ...(h.sim ? { sim: simState(h.sim) } : {}),
    ...(h.battery ? { battery: { volts: h.battery.volts, amps: h.battery.amps, low: h.battery.low } } : {}),
  };
}

export function agentFields(h: HeaderOf<'agent'>): HeaderOf<'agent'> {
  return {
    v: h.v,
    seq: h.seq,
    ts: h.ts,
    release: h.release,
    slot: h.slot,
    state: h.state,
    progress: h.progress,
    ...optional('error', h.error),
    ...optional('gen', h.gen),
    ...optional('version', h.version),
    ...optional('os', h.os),
    ...(h.osSlots ? { osSlots: osSlotsOf(h.osSlots) } : {}),
    ...(h.osUpdate ? { osUpdate: osUpdateOf(h.osUpdate) } : {}),
  };
}

export function metricsFields(h: HeaderOf<'metrics'>): HeaderOf<'metrics'> {
  return {
    v: h.v,
    seq: h.seq,
    ts: h.ts,
    service: h.service,
    pid: h.pid,
    uptimeS: h.uptimeS,
    rssBytes: h.rssBytes,
    counters: { in: h.counters.in, out: h.counters.out, dropped: h.counters.dropped, droppedBy: boundedRecord(h.counters.droppedBy, Number) },
    loops: boundedRecord(h.loops, loopStats),
    ...(h.gauges ? { gauges: boundedRecord(h.gauges, Number) } : {}),
  };
}

export function recordingFields(h: HeaderOf<'recording'>): HeaderOf<'recording'> {
  return {
    v: h.v,
    seq: h.seq,
    ts: h.ts,
    car: h.car,
    state: h.state,
    records: h.records,
    ...optional('erased', h.erased),
    ...optional('tub', h.tub),
    ...optional('error', h.error),
  };
}
