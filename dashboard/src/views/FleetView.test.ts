// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ref } from 'vue';
import type * as FleetUpdates from '../fleet-updates.ts';
import type { FleetCar } from '../../../nuc/server/wire.ts';

const cars = ref<FleetCar[]>([]);
const state = ref<'connecting' | 'connected' | 'lost'>('connected');
vi.mock('../fleet-updates.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof FleetUpdates>()),
  connectFleetUpdates: () => ({ state, cars, close() {} }),
}));
const { default: FleetView } = await import('./FleetView.vue');

const car7: FleetCar = {
  car: '7',
  version: 5,
  label: 'faster pilot',
  targetVersion: 6,
  services: [
    { name: 'actuator', version: 1, content: 'aaaaaaaaaaaa', slot: 'A' },
    { name: 'pilot', version: 5, content: 'bbbbbbbbbbbb', slot: 'B' },
  ],
  model: { name: 'linear', version: 4 },
  pilotModel: 'linear v4',
  inferMs: 3.25,
  os: '0.1.0-1a2b3c4d',
  osSlots: null,
  osUpdate: null,
  update: { state: 'downloading', progress: 0.42, release: 'new model v6', slot: 'A' },
  error: 'no healthy signal within 5000 ms',
  lastSeenMsAgo: 200,
  previousVersion: 4,
  history: [
    { id: 2, car: '7', from: 4, to: 5, outcome: 'installed', error: null, at: '2025-01-01T12:00:00.000Z', override: null, withdrawn: null },
    { id: 1, car: '7', from: 4, to: 5, outcome: 'rolled-back', error: 'crashed', at: '2025-01-01T11:00:00.000Z', override: null, withdrawn: null },
  ],
};

type Call = { url: string; init?: RequestInit };
let calls: Call[];
let rollbackResponse: { status: number; body: unknown };
let releasesBody: unknown;

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

beforeEach(() => {
  calls = [];
  cars.value = [];
  window.localStorage.clear();
  rollbackResponse = { status: 201, body: { rollbackOf: 4, release: { version: 6 } } };
  releasesBody = { releases: [{ version: 5, label: 'faster pilot', createdAt: '2025-01-01T10:00:00.000Z', rollbackOf: null, override: null, withdrawn: null }] };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      calls.push({ url, ...(init ? { init } : {}) });
      if (url === '/api/releases') return json(200, releasesBody);
      return json(rollbackResponse.status, rollbackResponse.body);
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

describe('FleetView', () => {
  it("shows the car OS version its agent reports", async () => {
    cars.value = [car7, { ...car7, car: '8', os: null }];
    const view = mount(FleetView);
    await flushPromises();
    expect(view.find('[data-car="7"] .os').text()).toBe('OS 0.1.0-1a2b3c4d');
    expect(view.find('[data-car="8"] .os').exists()).toBe(false);
  });

  it('shows each car\'s release, services, model, update progress, last error, history and the releases', async () => {
    const view = mount(FleetView);
    await flushPromises();
    expect(view.text()).toContain('No car has reported');
    cars.value = [car7];
    await view.vm.$nextTick();
    const section = view.find('[data-car="7"]');
    expect(section.text()).toMatch(/Car 7\s*release 5 · faster pilot/);
    expect(section.find('.update').text()).toMatch(/downloading.*42% · new model v6 → slot A/);
    expect(section.find('progress').attributes('value')).toBe('0.42');
    expect(section.find('.error').text()).toBe('Last error: no healthy signal within 5000 ms');
    const services = section.findAll('.services tbody tr').map((r) => r.text());
    expect(services[0]).toMatch(/actuator\s*1\s*A\s*aaaaaaaaaaaa/);
    expect(services[1]).toMatch(/pilot\s*5\s*B/);
    expect(services[2]).toMatch(/linear \(release 4\).*pilot reports linear v4 · 3\.3 ms per frame/);
    expect(section.findAll('.history tbody tr').map((r) => r.text())).toEqual([
      expect.stringMatching(/4\s*5\s*installed$/),
      expect.stringMatching(/4\s*5\s*rolled-back\s*crashed$/),
    ]);
    expect(view.find('.releases').text()).toMatch(/5\s*faster pilot/);
  });

  it('marks a release the fleet rolled back from as withdrawn, in the car\'s history and, refreshed as it happens, in the releases', async () => {
    const view = mount(FleetView);
    await flushPromises();
    cars.value = [car7];
    await flushPromises();
    expect(view.find('.withdrawn').exists()).toBe(false);
    const reason = 'rolled back on car 7: pilot exited with code 1';
    releasesBody = {
      releases: [
        { version: 6, label: 'crashing pilot', createdAt: '2025-01-01T13:00:00.000Z', rollbackOf: null, override: null, withdrawn: reason },
        { version: 5, label: 'faster pilot', createdAt: '2025-01-01T10:00:00.000Z', rollbackOf: null, override: null, withdrawn: null },
      ],
    };
    const rolledBack = { id: 3, car: '7', from: 5, to: 6, outcome: 'rolled-back' as const, error: 'pilot exited with code 1', at: '2025-01-01T13:05:00.000Z', override: null, withdrawn: reason };
    cars.value = [{ ...car7, targetVersion: null, update: null, history: [rolledBack, ...car7.history] }];
    await flushPromises();
    const newest = view.findAll('[data-car="7"] .history tbody tr')[0]!;
    expect(newest.text()).toMatch(/5\s*6 \(withdrawn\)\s*rolled-back\s*pilot exited with code 1/);
    expect(newest.find('.withdrawn').attributes('title')).toBe(reason);
    const rows = view.findAll('.releases tbody tr');
    expect(rows[0]!.classes()).toContain('withdrawn');
    expect(rows[0]!.text()).toMatch(/6\s*crashing pilot.*withdrawn: rolled back on car 7: pilot exited with code 1; the next release builds on the last healthy one/);
    expect(rows[1]!.classes()).not.toContain('withdrawn');
  });

  it('rolls back with one click, asking for the token once and sending it', async () => {
    const prompt = vi.fn(() => 'secret');
    vi.stubGlobal('prompt', prompt);
    cars.value = [car7];
    const view = mount(FleetView);
    await flushPromises();
    await view.find('button.rollback').trigger('click');
    await flushPromises();
    const post = calls.find((c) => c.url === '/api/cars/7/rollback')!;
    expect(post.init).toMatchObject({ method: 'POST', headers: { authorization: 'Bearer secret' } });
    expect(view.find('.message').text()).toBe('published release 6 with the content of release 4, for car 7 only');
    await view.find('button.rollback').trigger('click');
    await flushPromises();
    expect(prompt).toHaveBeenCalledTimes(1);
    expect(window.localStorage.getItem('edge-racing.token')).toBe('secret');
  });

  it('shows the server\'s refusal', async () => {
    window.localStorage.setItem('edge-racing.token', 'secret');
    rollbackResponse = { status: 409, body: { statusCode: 409, error: 'Conflict', message: 'car 7 runs release 1 and no release before it is recorded' } };
    cars.value = [car7];
    const view = mount(FleetView);
    await view.find('button.rollback').trigger('click');
    await flushPromises();
    expect(view.find('.message.refused').text()).toBe('car 7 runs release 1 and no release before it is recorded');
  });

  describe('the car OS', () => {
    const slots: FleetCar['osSlots'] = { booted: 'A', A: { state: 'good', version: '0.1.0-1a2b3c4d' }, B: { state: 'inactive', version: '0.2.0-5e6f7a8b' } };
    const pending: FleetCar = { ...car7, osSlots: slots, osUpdate: { version: '0.2.0-5e6f7a8b', outcome: 'pending-reboot', at: Date.UTC(2025, 0, 1, 12) } };

    it('shows the booted slot, both slots with their state and version, and the last OS update', async () => {
      cars.value = [pending, { ...car7, car: '8', os: null }];
      const view = mount(FleetView);
      await flushPromises();
      const section = view.find('[data-car="7"]');
      const a = section.find('.os-slot[data-slot="A"]');
      expect(a.classes()).toEqual(expect.arrayContaining(['good', 'booted']));
      expect(a.text()).toBe('A ▶ good · 0.1.0-1a2b3c4d');
      expect(section.find('.os-slot[data-slot="B"]').text()).toBe('B inactive · 0.2.0-5e6f7a8b');
      expect(section.find('.os-slots').text()).toContain('booted from A');
      const update = section.find('.os-update');
      expect(update.text()).toMatch(/0\.2\.0-5e6f7a8b\s*installed, waiting for a reboot/);
      expect(update.text()).toContain(new Date(Date.UTC(2025, 0, 1, 12)).toLocaleString());
      expect(update.classes()).not.toContain('os-failed');
      // no download size reported: none shown
      expect(update.find('.os-downloaded').exists()).toBe(false);
      expect(view.find('[data-car="8"] .os-state').exists()).toBe(false);
    });

    it('shows how much the car downloaded for its OS update, when its agent says, human-readable', async () => {
      const withBytes = (car: string, downloadedBytes: number): FleetCar => ({ ...pending, car, osUpdate: { ...pending.osUpdate!, downloadedBytes } });
      cars.value = [withBytes('7', 1_258_291), withBytes('8', 512), withBytes('9', 3 * 1024 ** 3), withBytes('10', 1024 * 1024 - 1)];
      const view = mount(FleetView);
      await flushPromises();
      const downloaded = view.find('[data-car="7"] .os-update .os-downloaded');
      expect(downloaded.text()).toBe('downloaded 1.2 MB');
      expect(downloaded.attributes('title')).toMatch(/^1258291 bytes downloaded/);
      expect(view.find('[data-car="7"] .os-update').text()).toMatch(/installed, waiting for a reboot.*downloaded 1\.2 MB/);
      expect(view.find('[data-car="8"] .os-downloaded').text()).toBe('downloaded 512 B');
      expect(view.find('[data-car="9"] .os-downloaded').text()).toBe('downloaded 3.0 GB');
      expect(view.find('[data-car="10"] .os-downloaded').text()).toBe('downloaded 1.0 MB');
    });

    it('shows a rolled-back or failed OS update clearly, with its reason, and no reboot button', async () => {
      const reason = 'booted slot A, the trial was on B: the previous boot left no journal (it is volatile)';
      cars.value = [
        { ...pending, osSlots: { ...slots, B: { state: 'bad', version: '0.2.0-5e6f7a8b' } }, osUpdate: { version: '0.2.0-5e6f7a8b', outcome: 'rolled-back', reason, at: 1 } },
        { ...pending, car: '8', osUpdate: { version: '0.2.0-5e6f7a8b', outcome: 'failed', reason: 'rauc: signature verification failed', at: 1 } },
      ];
      const view = mount(FleetView);
      await flushPromises();
      const rolledBack = view.find('[data-car="7"] .os-update');
      expect(rolledBack.classes()).toEqual(expect.arrayContaining(['os-failed', 'rolled-back']));
      expect(rolledBack.find('.os-outcome').text()).toBe('⚠ rolled back');
      expect(rolledBack.find('.os-reason').text()).toBe(reason);
      expect(view.find('[data-car="7"] .os-slot[data-slot="B"]').classes()).toContain('bad');
      expect(view.find('[data-car="8"] .os-update').classes()).toContain('os-failed');
      expect(view.find('[data-car="8"] .os-outcome').text()).toBe('⚠ failed');
      expect(view.find('button.os-reboot').exists()).toBe(false);
    });

    it('reboots a car waiting for its OS update with one click, sending the token', async () => {
      window.localStorage.setItem('edge-racing.token', 'secret');
      rollbackResponse = { status: 202, body: { car: '7', version: '0.2.0-5e6f7a8b', osReboot: ['7'] } };
      cars.value = [pending];
      const view = mount(FleetView);
      await flushPromises();
      const button = view.find('[data-car="7"] button.os-reboot');
      expect(button.text()).toBe('Reboot into 0.2.0-5e6f7a8b');
      await button.trigger('click');
      await flushPromises();
      const post = calls.find((c) => c.url === '/api/fleet/7/os-reboot')!;
      expect(post.init).toMatchObject({ method: 'POST', headers: { authorization: 'Bearer secret' } });
      expect(view.find('.message.ok').text()).toBe('car 7 may reboot into OS 0.2.0-5e6f7a8b now');
    });

    it("shows the server's refusal of a reboot", async () => {
      window.localStorage.setItem('edge-racing.token', 'secret');
      rollbackResponse = { status: 409, body: { statusCode: 409, error: 'Conflict', message: 'car 7 has no OS update waiting for a reboot: its last OS update (0.2.0-5e6f7a8b) is rebooting' } };
      cars.value = [pending];
      const view = mount(FleetView);
      await view.find('button.os-reboot').trigger('click');
      await flushPromises();
      expect(view.find('.message.refused').text()).toMatch(/no OS update waiting for a reboot/);
    });
  });
});
