/**
 * The tub editor's API on a 20,000-record tub: served in pages and plot buckets, never whole; edits
 * (token required) land in the manifest as Donkeycar's deleted_indexes and train_filter, and
 * training reads the tub the way the edits say.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTub, trainingRecords } from '../../tub/index.ts';
import { writeLongTub, writeTestTub } from '../../test/support/tubs.ts';
import { STRICT_AJV, installTokenGuard } from '../http/index.ts';
import { JobStore } from './job-store.ts';
import { trainingRoutes } from './routes.ts';
import type { DeletionsReply, FilterReply, PlotReply, RecordsReply, TubDetailReply } from './tub-routes.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tub-routes-'));
const tubsDir = path.join(root, 'tubs');
const auth = { authorization: 'Bearer secret' };
const recording = new Set<string>();
let app: FastifyInstance;
let store: JobStore;

beforeAll(async () => {
  await writeLongTub(path.join(tubsDir, 'long'), 20_000);
  await writeTestTub(path.join(tubsDir, 'now'), 5);
  store = JobStore.open(':memory:');
  app = Fastify({ ajv: STRICT_AJV });
  await installTokenGuard(app, 'secret');
  await app.register(trainingRoutes, { store, tubsDir, modelsDir: path.join(root, 'models'), defaultKind: 'fast', recordingTubs: () => recording });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app.close();
  store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const get = async <T>(url: string): Promise<T> => {
  const res = await app.inject(url);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<T>();
};

describe('the tub editor API', () => {
  it('describes a long tub and pages its records, at most 500 at a time', async () => {
    const detail = await get<TubDetailReply>('/api/tubs/long');
    expect(detail).toMatchObject({ name: 'long', total: 20_000, deleted: 0, kept: 20_000, firstIndex: 0, lastIndex: 19_999, durationS: 999.95, recording: false });
    expect(detail.filter).toEqual({ text: "user/mode == 'user' && user/throttle >= 0", saved: false, default: "user/mode == 'user' && user/throttle >= 0" });
    const page = await get<RecordsReply>('/api/tubs/long/records?offset=19990&limit=100');
    expect(page.total).toBe(20_000);
    expect(page.records.map((r) => r.index)).toEqual([...Array(10).keys()].map((i) => 19_990 + i));
    expect(page.records[0]).toEqual({ index: 19_990, angle: Math.round(Math.sin(19_990 / 50) * 1000) / 1000, throttle: 0.3, mode: 'user', timestampMs: 1_700_000_000_000 + 19_990 * 50, deleted: false, kept: true });
    expect((await get<RecordsReply>('/api/tubs/long/records?limit=9999')).records).toHaveLength(500);
    expect((await get<RecordsReply>('/api/tubs/long/records?at=12345&limit=1')).offset).toBe(12_345);
    expect((await app.inject('/api/tubs/long/records?limit=-1')).statusCode).toBe(400);
  });

  it('plots the whole tub in buckets, min, max and mean of each', async () => {
    const plot = await get<PlotReply>('/api/tubs/long/plot?buckets=500');
    expect(plot.buckets).toHaveLength(500);
    expect(plot.buckets[0]).toMatchObject({ first: 0, last: 39, count: 40, deleted: 0, throttle: { min: 0.3, max: 0.3 } });
    expect(plot.buckets[0]!.angle.max).toBeCloseTo(Math.sin(39 / 50), 2);
    expect(plot.buckets.reduce((n, b) => n + b.count, 0)).toBe(20_000);
    // a zoomed range, and the bound on what one answer carries
    const zoom = await get<PlotReply>('/api/tubs/long/plot?from=1000&to=1100&buckets=50');
    expect(zoom.buckets.map((b) => [b.first, b.last])).toEqual([...Array(50).keys()].map((i) => [1000 + 2 * i, 1001 + 2 * i]));
    expect((await get<PlotReply>('/api/tubs/long/plot?buckets=9999')).buckets).toHaveLength(2000);
  });

  it('serves a record image whole or as a thumbnail, and says which record is missing', async () => {
    const full = await app.inject('/api/tubs/long/records/130/image');
    expect([full.statusCode, full.headers['content-type']]).toEqual([200, 'image/jpeg']);
    expect((await sharp(full.rawPayload).metadata()).width).toBe(8);
    const thumb = await app.inject('/api/tubs/now/records/2/image?size=thumb');
    expect((await sharp(thumb.rawPayload).metadata()).height).toBe(60);
    const missing = await app.inject('/api/tubs/long/records/20000/image');
    expect([missing.statusCode, missing.json().message]).toEqual([404, "tub 'long' has no record 20000"]);
    expect((await app.inject('/api/tubs/..%2Fetc/records/1/image')).statusCode).toBe(400);
    expect((await app.inject('/api/tubs/nope')).statusCode).toBe(404);
  });

  it("deletes and restores a range with the token, as Donkeycar's deleted_indexes that training skips", async () => {
    const change = (payload: object, headers = auth) => app.inject({ method: 'POST', url: '/api/tubs/long/deletions', headers, payload });
    expect((await change({ from: 100, to: 199, action: 'delete' }, {} as typeof auth)).statusCode).toBe(401);
    expect((await change({ from: 100, to: 199, action: 'drop' })).statusCode).toBe(400);
    const past = await change({ from: 19_990, to: 20_000, action: 'delete' });
    expect([past.statusCode, past.json().message]).toEqual([400, 'the tub has records 0..19999; 20000 is past its end']);

    const deleted = await change({ from: 100, to: 199, action: 'delete' });
    expect(deleted.json<DeletionsReply>()).toEqual({ deleted: 100, range: { from: 100, to: 199, deleted: 100 } });
    const tub = await readTub(path.join(tubsDir, 'long'), { checkImages: false });
    expect(tub.manifest.catalog.deleted_indexes).toEqual([...Array(100).keys()].map((i) => 100 + i));
    expect(tub.records).toHaveLength(19_900);
    expect((await trainingRecords([path.join(tubsDir, 'long')])).records.some((r) => r.index >= 100 && r.index <= 199)).toBe(false);
    expect(await get<TubDetailReply>('/api/tubs/long')).toMatchObject({ total: 20_000, deleted: 100, kept: 19_900 });
    const page = await get<RecordsReply>('/api/tubs/long/records?offset=98&limit=4');
    expect(page.records.map((r) => [r.index, r.deleted, r.kept])).toEqual([[98, false, true], [99, false, true], [100, true, false], [101, true, false]]);
    expect((await get<PlotReply>('/api/tubs/long/plot?buckets=200')).buckets[1]).toMatchObject({ first: 100, last: 199, deleted: 100 });

    expect((await change({ from: 150, to: 199, action: 'restore' })).json<DeletionsReply>()).toEqual({ deleted: 50, range: { from: 150, to: 199, deleted: 0 } });
    await change({ from: 0, to: 19_999, action: 'restore' });
    expect((await readTub(path.join(tubsDir, 'long'), { checkImages: false })).manifest.catalog.deleted_indexes).toEqual([]);
  });

  it('checks and saves a training filter, refusing one that does not fit the tub', async () => {
    const check = await app.inject(`/api/tubs/long/filter-check?filter=${encodeURIComponent('user/angle > 0.5')}`);
    expect(check.json<FilterReply>()).toMatchObject({ kept: expect.any(Number), total: 20_000, saved: false });
    const kept = check.json<FilterReply>().kept;
    expect(kept).toBeGreaterThan(5000);
    expect(kept).toBeLessThan(8000);
    const bad = await app.inject(`/api/tubs/long/filter-check?filter=${encodeURIComponent('user/speed > 1')}`);
    expect([bad.statusCode, bad.json().message]).toEqual([400, expect.stringMatching(/unknown field user\/speed/)]);

    const save = (filter: string | null, headers = auth) => app.inject({ method: 'PUT', url: '/api/tubs/long/filter', headers, payload: { filter } });
    expect((await save('user/angle > 0.5', {} as typeof auth)).statusCode).toBe(401);
    expect((await save('user/angle >')).statusCode).toBe(400);
    expect((await save('user/angle > 0.5')).json<FilterReply>()).toEqual({ filter: 'user/angle > 0.5', saved: true, kept, total: 20_000 });
    expect((await trainingRecords([path.join(tubsDir, 'long')])).records).toHaveLength(kept);
    expect(await get<TubDetailReply>('/api/tubs/long')).toMatchObject({ kept, filter: { text: 'user/angle > 0.5', saved: true } });
    expect((await save(null)).json<FilterReply>()).toMatchObject({ saved: false, kept: 20_000 });
  });

  it('leaves a tub that is being recorded alone', async () => {
    recording.add('now');
    try {
      const refused = await app.inject({ method: 'POST', url: '/api/tubs/now/deletions', headers: auth, payload: { from: 0, to: 1, action: 'delete' } });
      expect([refused.statusCode, refused.json().message]).toEqual([409, "tub 'now' is being recorded; edit it once the session ends"]);
      expect((await app.inject({ method: 'PUT', url: '/api/tubs/now/filter', headers: auth, payload: { filter: null } })).statusCode).toBe(409);
      expect((await get<TubDetailReply>('/api/tubs/now')).recording).toBe(true);
    } finally {
      recording.delete('now');
    }
  });
});
