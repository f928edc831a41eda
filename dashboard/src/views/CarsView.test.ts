// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { ref } from 'vue';
import type { CarSummary } from '../../../nuc/server/wire.ts';

const cars = ref<CarSummary[]>([]);
const state = ref<'connecting' | 'connected' | 'lost'>('connected');
vi.mock('../live.ts', () => ({ connectFleet: () => ({ state, cars, close() {} }) }));
const { default: CarsView } = await import('./CarsView.vue');

describe('CarsView', () => {
  it('lists each car with its state and links to drive, watch and calibrate it', async () => {
    const view = mount(CarsView);
    expect(view.text()).toContain('No car has reported yet');
    cars.value = [
      {
        id: '1',
        lastSeen: 1_000,
        lastSeenMsAgo: 100,
        frames: 10,
        views: 0,
        telemetry: { v: 1, seq: 1, ts: 1, mode: 'local', angle: -0.5, throttle: 0.3, model: 'expert', estop: true, battery: { volts: 6.41, amps: 2.5, low: true }, loop: { count: 1, overruns: 0, p50Ms: 1, p99Ms: 1, maxMs: 1 } },
      },
      { id: '2', lastSeen: 1_000, lastSeenMsAgo: 9000, frames: 0, views: 4 },
    ];
    await view.vm.$nextTick();
    const rows = view.findAll('tbody tr');
    expect(rows[0]!.text()).toMatch(/1\s*live\s*E-STOP\s*local\s*-50%\s*30%.*6\.41 V · 2\.50 A\s*LOW\s*camera/);
    expect(rows[1]!.find('[data-test="battery"]').text()).toBe('–');
    expect(rows[1]!.text()).toMatch(/silent 9 s.*composited/);
    expect(rows[0]!.findAll('a').map((a) => a.attributes('href'))).toEqual(['/drive/1', '/watch/1', '/calibrate/1']);
    await rows[0]!.find('a').trigger('click', { button: 0 });
    expect(view.emitted('open')).toEqual([['/drive/1']]);
  });

  it('shows a lost connection', async () => {
    state.value = 'lost';
    expect(mount(CarsView).text()).toMatch(/lost/);
  });
});
