// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { ref } from 'vue';
import type * as TrainingApi from '../training-api.ts';
import type { JobResult, ModelInfo, TrainingJob, TrainJob, TubInfo } from '../../../nuc/server/wire.ts';

const jobs = ref<TrainingJob[]>([]);
const state = ref<'connecting' | 'connected' | 'lost'>('connected');
const tubs: TubInfo[] = [
  { name: 'session1', records: 600, durationS: 30, deleted: 2, created: null, errors: { skipped: 0, message: null } },
  { name: 'broken', records: 0, durationS: 0, deleted: 0, created: null, errors: { skipped: 0, message: 'tub broken: manifest.json is not JSON' } },
];
const tracks = (status: 'good' | 'bad') => [
  { track: 'default', source: 'default', lapsAttempted: 2, lapsCompleted: 2, lapsFinished: 2, offTrackEvents: 0, meanAbsCteM: 0.12, lapTimesS: [22, 22], expertLapS: 20, endReason: 'laps' as const },
  status === 'good'
    ? { track: 'twisty', source: 'twisty', lapsAttempted: 2, lapsCompleted: 2, lapsFinished: 2, offTrackEvents: 0, meanAbsCteM: 0.2, lapTimesS: [26, 25], expertLapS: 25, endReason: 'laps' as const }
    : { track: 'twisty', source: 'twisty', lapsAttempted: 2, lapsCompleted: 0, lapsFinished: 0, offTrackEvents: 3, meanAbsCteM: 0.9, lapTimesS: [], expertLapS: 25, endReason: 'off-track' as const },
];
const model = (name: string, fields: Partial<ModelInfo>): ModelInfo => ({
  name,
  kind: 'fast',
  created: '2025-01-01T10:00:00Z',
  status: 'candidate',
  reasons: [],
  tubs: ['session1'],
  crop: { top: 0, bottom: 0 },
  metrics: { valLoss: 0.0421, bestEpoch: 3, epochs: 5, trainSamples: 480, durationS: 40, backend: 'wasm', tracks: tracks('good') },
  ...fields,
});
const models: ModelInfo[] = [
  model('fast-20250101-100000-job1', {
    status: 'rejected',
    reasons: ['twisty: 0 clean laps of 2, the gate needs 1', 'twisty: the run ended off the track'],
    metrics: { valLoss: 0.0421, bestEpoch: 3, epochs: 5, trainSamples: 480, durationS: 40, backend: 'wasm', tracks: tracks('bad') },
  }),
  model('linear-cli', { kind: 'linear', status: 'unevaluated', reasons: ['never evaluated in the simulator'], metrics: { valLoss: 0.03, bestEpoch: 9, epochs: 12, trainSamples: 900, durationS: 400, backend: 'wasm', tracks: [] } }),
  model('fast-20250102-100000-job2', {}),
];
const startTraining = vi.fn(async (names: string[], kind: string) => ({ id: 7, tubs: names, kind }));
const cancelJob = vi.fn(async () => ({}));
const shipModel = vi.fn(async (_name: string, _token: string, override = false) => ({ version: 12, label: 'model fast-20250101-100000-job1', override: override ? 'shipped on an override: rejected by the candidate gate' : null }));
const evaluateModel = vi.fn(async (name: string) => ({ id: 9, action: 'evaluate', model: name }));
vi.mock('../training-api.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof TrainingApi>()),
  connectTraining: () => ({ state, jobs, close() {} }),
  fetchTubs: async () => tubs,
  fetchModels: async () => models,
  startTraining,
  cancelJob,
  shipModel,
  evaluateModel,
  fetchTracks: async () => [{ id: 'default', load: 'default', from: 'simulator' }],
}));
const { default: TrainingView } = await import('./TrainingView.vue');

/** A finished job's result: what the test names, the rest as the training worker would fill it in. */
const result = (fields: Pick<JobResult, 'model' | 'valLoss' | 'tracks'> & Partial<JobResult>): JobResult => ({
  modelDir: `/data/models/${fields.model}`,
  kind: 'fast',
  status: 'rejected',
  reasons: [],
  bestEpoch: 1,
  epochs: 2,
  trainSamples: 100,
  validationSamples: 20,
  backend: 'wasm',
  durationS: 10,
  ...fields,
});

const job = (fields: Partial<TrainJob>): TrainJob => ({
  action: 'train',
  id: 1,
  tubs: ['session1'],
  kind: 'fast',
  trigger: 'auto',
  state: 'queued',
  history: [],
  progress: null,
  result: null,
  error: null,
  cancelRequested: false,
  createdAt: '',
  startedAt: null,
  finishedAt: null,
  revision: 1,
  ...fields,
});

describe('TrainingView', () => {
  it('lists tubs with a preview strip and starts training on the chosen ones with the token', async () => {
    window.localStorage.clear();
    const view = mount(TrainingView);
    await flushPromises();
    const rows = view.findAll('table.tubs tbody tr');
    expect(rows[0]!.text()).toMatch(/session1\s*600\s*30 s\s*2/);
    expect(rows[0]!.find('img').attributes('src')).toBe('/api/tubs/session1/preview?frames=8&height=48');
    expect(rows[1]!.text()).toContain('manifest.json is not JSON');
    expect(rows[1]!.find('input').attributes('disabled')).toBeDefined();

    const button = view.find('form.train button');
    await rows[0]!.find('input').setValue(true);
    expect(button.attributes('disabled')).toBeDefined(); // no token yet
    await view.find('input[type=password]').setValue('secret');
    expect(button.text()).toBe('Train on 1 tub');
    await view.find('form.train').trigger('submit');
    await flushPromises();
    expect(startTraining).toHaveBeenCalledWith(['session1'], 'fast', 'secret');
    expect(view.text()).toContain('Job 7 queued: fast on session1.');
  });

  it('shows jobs with their state, progress, error and a live loss chart', async () => {
    const view = mount(TrainingView);
    await flushPromises();
    expect(view.text()).toContain('No training jobs yet');
    jobs.value = [
      job({
        id: 2,
        state: 'running',
        history: [
          { epoch: 1, loss: 0.5, valLoss: 0.6 },
          { epoch: 2, loss: 0.3, valLoss: 0.4 },
        ],
        progress: { phase: 'training', epoch: 2, epochs: 10, loss: 0.3, valLoss: 0.4, elapsedS: 12, detail: '' },
      }),
      job({ id: 1, state: 'skipped', error: 'tub short has 4 records; at least 100 are needed' }),
    ];
    await view.vm.$nextTick();
    const running = view.find('[data-job="2"]');
    expect(running.text()).toMatch(/running.*training epoch 2\/10 · 12 s/);
    expect(running.findAll('polyline')).toHaveLength(2);
    expect(running.find('polyline[data-series="val loss"]').attributes('points')!.split(' ')).toHaveLength(2);
    expect(view.find('[data-job="1"]').text()).toContain('has 4 records');

    await running.find('button').trigger('click');
    await flushPromises();
    expect(cancelJob).toHaveBeenCalledWith(2, expect.any(String));

    jobs.value = [job({ id: 2, state: 'running', history: [...jobs.value[0]!.history, { epoch: 3, loss: 0.2, valLoss: 0.3 }], progress: jobs.value[0]!.progress })];
    await view.vm.$nextTick();
    expect(view.find('[data-job="2"] polyline[data-series="loss"]').attributes('points')!.split(' ')).toHaveLength(3);
  });

  it('shows what a finished job skipped, by tub and record', async () => {
    const view = mount(TrainingView);
    await flushPromises();
    jobs.value = [
      job({
        id: 3,
        state: 'succeeded',
        result: result({ model: 'fast-x', valLoss: 0.01, tracks: [], skippedRecords: 2, warnings: ['tub old: format_version 99 is newer than 2 (tub skipped)', 'skipped: tub s1 record 4: cannot decode frame image'] }),
      }),
    ];
    await view.vm.$nextTick();
    const done = view.find('[data-job="3"]');
    expect(done.find('details.skipped summary').text()).toBe('2 bad records skipped');
    expect(done.findAll('details.skipped li').map((li) => li.text())).toEqual([expect.stringMatching(/tub old: format_version 99/), expect.stringMatching(/tub s1 record 4/)]);
    jobs.value = [job({ id: 4, state: 'succeeded', result: result({ model: 'fast-y', valLoss: 0.01, tracks: [] }) })];
    await view.vm.$nextTick();
    expect(view.find('[data-job="4"] details.skipped').exists()).toBe(false);
  });

  it("shows models with validation loss, how they drove on each track and the gate's verdict, offering to evaluate one never evaluated", async () => {
    window.localStorage.clear();
    const view = mount(TrainingView);
    await flushPromises();
    const rows = view.findAll('table.models tbody tr');
    expect(rows).toHaveLength(5);
    expect(rows[0]!.text()).toMatch(/fast-20250101-100000-job1\s*fast\s*0\.0421\s*default\s*2\/2\s*0\s*0\.12 m\s*22\.0 s \(1\.10× expert\)\s*rejected/);
    expect(rows[0]!.findAll('.reasons li').map((li) => li.text())).toEqual(['twisty: 0 clean laps of 2, the gate needs 1', 'twisty: the run ended off the track']);
    expect(rows[1]!.text()).toMatch(/twisty\s*0\/2\s*3\s*0\.90 m\s*no lap/);
    expect(rows[2]!.text()).toMatch(/linear-cli\s*linear\s*0\.0300\s*not evaluated\s*not evaluated\s*never evaluated in the simulator/);
    expect(view.find('[data-status="candidate"]').text()).toMatch(/^candidate\s*Ship to cars$/);
    expect(view.find('[data-evaluate="fast-20250102-100000-job2"]').exists()).toBe(false);

    await view.find('input[type="password"]').setValue('tok');
    await view.find('[data-evaluate="linear-cli"]').trigger('click');
    await flushPromises();
    expect(evaluateModel).toHaveBeenCalledWith('linear-cli', 'tok');
    expect(view.text()).toContain('Job 9: linear-cli is driven in the simulator, then judged by the candidate gate.');
  });

  it('ships a candidate with the token and says which release carries it', async () => {
    window.localStorage.clear();
    shipModel.mockClear();
    const view = mount(TrainingView);
    await flushPromises();
    const button = view.find('[data-ship="fast-20250102-100000-job2"]');
    expect(button.attributes('disabled')).toBeDefined();
    await view.find('input[type="password"]').setValue('tok');
    window.confirm = vi.fn(() => true);
    await button.trigger('click');
    await flushPromises();
    expect(window.confirm).not.toHaveBeenCalled();
    expect(shipModel).toHaveBeenCalledWith('fast-20250102-100000-job2', 'tok', false);
    expect(view.text()).toContain('published as release 12: the cars swap it in');
  });

  it('ships a rejected model only when the override is confirmed, naming why it is not a candidate', async () => {
    shipModel.mockClear();
    const view = mount(TrainingView);
    await flushPromises();
    await view.find('input[type="password"]').setValue('tok');
    const asked: string[] = [];
    window.confirm = vi.fn((text?: string) => (asked.push(text ?? ''), false));
    await view.find('[data-ship="fast-20250101-100000-job1"]').trigger('click');
    await flushPromises();
    expect(asked[0]).toMatch(/^fast-20250101-100000-job1 was rejected by the candidate gate: twisty: 0 clean laps of 2, the gate needs 1; twisty: the run ended off the track\.[\s\S]*records the override/);
    expect(shipModel).not.toHaveBeenCalled();
    expect(view.text()).toContain('fast-20250101-100000-job1 not shipped.');

    window.confirm = vi.fn(() => true);
    await view.find('[data-ship="fast-20250101-100000-job1"]').trigger('click');
    await flushPromises();
    expect(shipModel).toHaveBeenCalledWith('fast-20250101-100000-job1', 'tok', true);
    expect(view.text()).toContain('published as release 12 on an override');
  });

  it('shows a lost connection', async () => {
    state.value = 'lost';
    const view = mount(TrainingView);
    await flushPromises();
    expect(view.text()).toMatch(/lost/);
  });
});
