/** /metrics carries what services sent over the bus: nothing in it may break the exposition format. */
import { describe, expect, it } from 'vitest';
import { ServiceMetrics } from '../../protocol/index.ts';
import { busMessage } from '../../test/support/server-feed.ts';
import { FleetState } from './fleet-state.ts';
import { escapeHelp, escapeLabelValue, renderPrometheus } from './prometheus.ts';

const loop = { count: 1, overruns: 0, p50Ms: 1, p99Ms: 1, maxMs: 1 };

function fleetWithGauges(gauges: Record<string, number>, service = 'pilot', loops: Record<string, typeof loop> = {}): FleetState {
  const fleet = new FleetState();
  fleet.ingest(
    busMessage<'metrics'>('car/1/metrics', {
      service,
      pid: 1,
      uptimeS: 1,
      rssBytes: 1,
      counters: { in: 0, out: 0, dropped: 1, droppedBy: { 'bad\nreason"': 1 } },
      loops,
      gauges,
    }),
  );
  return fleet;
}

/** Every line of the text format is a comment (# HELP / # TYPE) or `name{labels} value`. */
const SAMPLE_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*",?)*\})? -?[0-9.e+-]+$/;
const COMMENT_LINE = /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$/;

function linesOf(text: string): string[] {
  return text.trimEnd().split('\n');
}

describe('Prometheus exposition', () => {
  it('leaves out a gauge whose name would inject a line, and counts it', () => {
    const text = renderPrometheus(fleetWithGauges({ 'x\nedge_car_angle{car="9"} 1': 1, pilot_frames_skipped: 3 }), Date.now(), 1000);
    for (const line of linesOf(text)) expect(line.startsWith('#') ? COMMENT_LINE.test(line) : SAMPLE_LINE.test(line), line).toBe(true);
    expect(text).not.toContain('car="9"');
    expect(text).toContain('edge_pilot_frames_skipped{scope="car",id="1",service="pilot"} 3');
    expect(text).toContain('edge_exposition_rejected_total 1');
  });

  it('refuses a gauge that would take the name of one of the server\'s own families', () => {
    const text = renderPrometheus(fleetWithGauges({ service_up: 0 }), Date.now(), 1000);
    expect(text.match(/^# TYPE edge_service_up /gm)).toHaveLength(1);
    expect(text).toContain('edge_exposition_rejected_total 1');
  });

  it('escapes label values from the bus (service names, drop reasons, loop names)', () => {
    const text = renderPrometheus(fleetWithGauges({}, 'pi"lot\\', { 'a\nb': loop }), Date.now(), 1000);
    for (const line of linesOf(text)) expect(line.startsWith('#') ? COMMENT_LINE.test(line) : SAMPLE_LINE.test(line), line).toBe(true);
    expect(text).toContain('service="pi\\"lot\\\\"');
    expect(text).toContain('reason="bad\\nreason\\""');
    expect(text).toContain('loop="a\\nb"');
  });

  it('escapes help text and label values per the text format', () => {
    expect(escapeHelp('a\\b\nc"')).toBe('a\\\\b\\nc"');
    expect(escapeLabelValue('a\\b\nc"')).toBe('a\\\\b\\nc\\"');
  });

  it('a service cannot register a gauge under a name that is not a metric name', () => {
    const metrics = new ServiceMetrics();
    expect(() => metrics.gauge('frames\nsent', () => 1)).toThrow(RangeError);
    expect(() => metrics.gauge('Frames', () => 1)).toThrow(/must be 1-63 of a-z 0-9 _/);
    metrics.gauge('frames_sent', () => 1);
    expect(metrics.gaugeValues()).toEqual({ frames_sent: 1 });
  });
});
