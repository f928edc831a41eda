// @vitest-environment happy-dom
/** The dashboard's components as a viewer sees them. Needs @vitejs/plugin-vue in the Vitest config. */
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import ConnectionBanner from './ConnectionBanner.vue';
import LapLeaderboard from './LapLeaderboard.vue';
import SteeringGauge from './SteeringGauge.vue';
import TelemetryChart from './TelemetryChart.vue';
import ThrottleGauge from './ThrottleGauge.vue';

describe('SteeringGauge', () => {
  it('turns the needle with the angle and shows it as a percentage', () => {
    const gauge = mount(SteeringGauge, { props: { angle: 0.5 } });
    expect(gauge.find('.needle').attributes('transform')).toBe('rotate(45)');
    expect(gauge.text()).toContain('50%');
  });

  it('pins an out-of-range or missing angle at the stop instead of spinning', () => {
    expect(mount(SteeringGauge, { props: { angle: -3 } }).find('.needle').attributes('transform')).toBe('rotate(-90)');
    expect(mount(SteeringGauge, { props: { angle: Number.NaN } }).find('.needle').attributes('transform')).toBe('rotate(0)');
  });
});

describe('ThrottleGauge', () => {
  it('fills up from the middle going forward and down in reverse', async () => {
    const gauge = mount(ThrottleGauge, { props: { throttle: 0.25 } });
    const bar = () => gauge.find('[data-test="bar"]');
    expect([bar().attributes('y'), bar().attributes('height'), bar().classes()]).toEqual(['75', '25', ['forward']]);
    await gauge.setProps({ throttle: -1 });
    expect([bar().attributes('y'), bar().attributes('height'), bar().classes()]).toEqual(['100', '100', ['reverse']]);
    expect(gauge.text()).toContain('-100%');
  });
});

describe('ConnectionBanner', () => {
  it('says the connection is lost and that it is reconnecting; nothing while connected', async () => {
    const banner = mount(ConnectionBanner, { props: { state: 'lost' } });
    expect(banner.text()).toMatch(/lost.*reconnecting/i);
    await banner.setProps({ state: 'connected' });
    expect(banner.find('[role="status"]').exists()).toBe(false);
  });
});

describe('LapLeaderboard', () => {
  it('lists the laps in order with formatted times and marks the watched car', () => {
    const board = mount(LapLeaderboard, {
      props: {
        laps: [
          { car: '2', lap: 3, timeS: 19.25, at: 1 },
          { car: '1', lap: 1, timeS: 61.5, at: 2 },
        ],
        highlightCar: '1',
      },
    });
    const rows = board.findAll('li');
    expect(rows.map((r) => r.text().replace(/\s+/g, ' '))).toEqual(['1Car 2lap 30:19.250', '2Car 1lap 11:01.500']);
    expect(rows[1]!.classes()).toContain('mine');
  });

  it('says when there are no laps yet', () => {
    expect(mount(LapLeaderboard, { props: { laps: [] } }).text()).toContain('No laps completed yet');
  });
});

describe('TelemetryChart', () => {
  it('draws each series right-aligned (newest at the right edge), scaled to the range', () => {
    const chart = mount(TelemetryChart, {
      props: { title: 'Steering', capacity: 5, min: -1, max: 1, series: [{ label: 'steer', color: '#fff', values: [-1, 0, 1] }] },
    });
    expect(chart.find('polyline[data-series="steer"]').attributes('points')).toBe('200.0,120.0 300.0,60.0 400.0,0.0');
    expect(chart.text()).toContain('steer 1.00');
  });
});
