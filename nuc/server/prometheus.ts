/**
 * Renders the fleet's service metrics in the Prometheus text exposition format (version 0.0.4).
 * Everything in it came over the bus, so nothing is written out raw: label values and help text are
 * escaped as the format says, and a gauge whose name is not a valid metric name (or would take the
 * name of one of ours) is left out and counted in `edge_exposition_rejected_total`.
 */
import { isGaugeName } from '../../protocol/index.ts';
import type { FleetState } from './fleet-state.ts';

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  samples: string[];
}

/** Label values: backslash, double quote and line feed are escaped (text format 0.0.4). */
export function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** HELP text: backslash and line feed are escaped; a quote is literal there. */
export function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

function labels(pairs: Record<string, string>): string {
  if (Object.keys(pairs).length === 0) return '';
  const body = Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
    .join(',');
  return `{${body}}`;
}

/** Families this file defines itself; a service gauge may not borrow one of their names. */
const OWN_FAMILIES = new Set([
  'service_up',
  'service_uptime_seconds',
  'service_rss_bytes',
  'bus_messages_in_total',
  'bus_messages_out_total',
  'bus_messages_dropped_total',
  'loop_iterations_total',
  'loop_overruns_total',
  'loop_duration_ms',
  'loop_duration_max_ms',
  'car_frames_total',
  'car_last_seen_seconds',
  'car_throttle',
  'car_angle',
  'exposition_rejected_total',
]);

export function isValidGaugeName(name: string): boolean {
  return isGaugeName(name) && !OWN_FAMILIES.has(name);
}

export function renderPrometheus(fleet: FleetState, now: number, intervalMs: number): string {
  const families = new Map<string, Family>();
  const add = (name: string, help: string, type: Family['type'], labelSet: Record<string, string>, value: number): void => {
    let family = families.get(name);
    if (!family) {
      family = { help, type, samples: [] };
      families.set(name, family);
    }
    family.samples.push(`${name}${labels(labelSet)} ${Number.isFinite(value) ? value : 0}`);
  };
  let rejected = 0;

  for (const report of fleet.serviceReports()) {
    const { metrics } = report;
    const base = { scope: report.scope, id: report.id, service: metrics.service };
    add('edge_service_up', 'Whether the service reported metrics in the last three intervals', 'gauge', base, fleet.isUp(report, now, intervalMs) ? 1 : 0);
    add('edge_service_uptime_seconds', 'Seconds since the service process started', 'gauge', base, metrics.uptimeS);
    add('edge_service_rss_bytes', 'Resident memory of the service process', 'gauge', base, metrics.rssBytes);
    add('edge_bus_messages_in_total', 'Valid bus messages received', 'counter', base, metrics.counters.in);
    add('edge_bus_messages_out_total', 'Bus messages sent', 'counter', base, metrics.counters.out);
    add('edge_bus_messages_dropped_total', 'Bus messages dropped, by reason', 'counter', { ...base, reason: 'all' }, metrics.counters.dropped);
    for (const [reason, count] of Object.entries(metrics.counters.droppedBy)) {
      add('edge_bus_messages_dropped_total', 'Bus messages dropped, by reason', 'counter', { ...base, reason }, count);
    }
    for (const [loop, stats] of Object.entries(metrics.loops)) {
      const loopLabels = { ...base, loop };
      add('edge_loop_iterations_total', 'Loop iterations run', 'counter', loopLabels, stats.count);
      add('edge_loop_overruns_total', 'Loop iterations that overran their period', 'counter', loopLabels, stats.overruns);
      add('edge_loop_duration_ms', 'Loop iteration time over the recent window', 'gauge', { ...loopLabels, quantile: '0.5' }, stats.p50Ms);
      add('edge_loop_duration_ms', 'Loop iteration time over the recent window', 'gauge', { ...loopLabels, quantile: '0.99' }, stats.p99Ms);
      add('edge_loop_duration_max_ms', 'Longest loop iteration since start', 'gauge', loopLabels, stats.maxMs);
    }
    for (const [gauge, value] of Object.entries(metrics.gauges ?? {})) {
      if (!isValidGaugeName(gauge)) {
        rejected++;
        continue;
      }
      add(`edge_${gauge}`, escapeHelp(`Service gauge ${gauge}`), 'gauge', base, value);
    }
  }
  for (const car of fleet.carStates()) {
    add('edge_car_frames_total', 'Camera frames the NUC received from the car', 'counter', { car: car.id }, car.frames);
    add('edge_car_last_seen_seconds', 'Seconds since the NUC last heard from the car', 'gauge', { car: car.id }, (now - car.lastSeen) / 1000);
    if (car.telemetry) {
      add('edge_car_throttle', 'Throttle the car applied', 'gauge', { car: car.id }, car.telemetry.throttle);
      add('edge_car_angle', 'Steering angle the car applied', 'gauge', { car: car.id }, car.telemetry.angle);
    }
  }
  add('edge_exposition_rejected_total', 'Service gauges left out of this page: not a valid metric name', 'counter', {}, rejected);

  const lines: string[] = [];
  for (const [name, family] of families) {
    lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`, ...family.samples);
  }
  return `${lines.join('\n')}\n`;
}
