/**
 * The tub editor's API (a Fastify plugin the training routes register):
 *   GET  /api/tubs/:name                           the tub: records, deleted, what its filter keeps
 *   GET  /api/tubs/:name/records?offset=&limit=    a page of records (deleted ones included, flagged)
 *   GET  /api/tubs/:name/plot?from=&to=&buckets=   steering and throttle in at most `buckets` buckets
 *   GET  /api/tubs/:name/records/:index/image[?size=thumb]
 *   GET  /api/tubs/:name/filter-check?filter=      how many records a filter would keep, or why it is wrong
 *   POST /api/tubs/:name/deletions {from, to, action: delete|restore}   (token)
 *   PUT  /api/tubs/:name/filter {filter: string | null}                 (token)
 * A 20,000-record tub is served in pages and buckets, never all at once. A tub that is being
 * recorded cannot be edited (its recorder owns the manifest until the session ends).
 */
import fs from 'node:fs/promises';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import sharp from 'sharp';
import { changeDeletions, compileFilter, DEFAULT_TRAIN_FILTER, filterFields, FilterError, MAX_FILTER_LENGTH, saveTrainFilter, TubEditError, TubError } from '../../tub/index.ts';
import { sendError, tokenGuard } from '../http/index.ts';
import { CatalogError } from './catalog.ts';
import { plotBuckets, positionOf, recordAt, recordRows, TubViews, type PlotBucket, type RecordRow, type TubView } from './tub-view.ts';

/** `GET /api/tubs/:name` */
export interface TubDetailReply {
  name: string;
  /** readable records, deleted ones included */
  total: number;
  deleted: number;
  /** records training learns from: not deleted, and kept by the filter */
  kept: number;
  /** bad records skipped */
  skipped: number;
  firstIndex: number | null;
  lastIndex: number | null;
  /** the first record's time, ms since the epoch */
  startMs: number | null;
  durationS: number;
  inputs: { key: string; type: string }[];
  filter: { text: string; saved: boolean; default: string };
  recording: boolean;
}

/** `GET /api/tubs/:name/records` */
export interface RecordsReply {
  total: number;
  offset: number;
  records: RecordRow[];
}

/** `GET /api/tubs/:name/plot` */
export interface PlotReply {
  total: number;
  from: number;
  to: number;
  buckets: PlotBucket[];
}

/** `POST /api/tubs/:name/deletions` */
export interface DeletionsReply {
  deleted: number;
  /** the changed range, and how many of its records are deleted now */
  range: { from: number; to: number; deleted: number };
}

/** `GET /api/tubs/:name/filter-check` and `PUT /api/tubs/:name/filter` */
export interface FilterReply {
  filter: string;
  saved: boolean;
  kept: number;
  total: number;
}

export interface TubRoutesOptions {
  tubsDir: string;
  /** names of the tubs being recorded right now */
  recordingTubs?: () => ReadonlySet<string>;
}

const MAX_PAGE = 500;
const MAX_BUCKETS = 2000;
const THUMB_HEIGHT = 60;

const Digits = (max: number) => Type.String({ pattern: `^[0-9]{1,${max}}$` });
const TubParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) });
const RecordParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }), index: Digits(9) });
const PageQuery = Type.Object({ offset: Type.Optional(Digits(9)), limit: Type.Optional(Digits(4)), at: Type.Optional(Digits(9)) }, { additionalProperties: false });
const PlotQuery = Type.Object({ from: Type.Optional(Digits(9)), to: Type.Optional(Digits(9)), buckets: Type.Optional(Digits(4)) }, { additionalProperties: false });
const ImageQuery = Type.Object({ size: Type.Optional(Type.Union([Type.Literal('thumb'), Type.Literal('full')])) }, { additionalProperties: false });
const FilterQuery = Type.Object({ filter: Type.String({ maxLength: MAX_FILTER_LENGTH }) }, { additionalProperties: false });
const DeletionsBody = Type.Object(
  {
    from: Type.Integer({ minimum: 0, maximum: 1e9 }),
    to: Type.Integer({ minimum: 0, maximum: 1e9 }),
    action: Type.Unsafe<'delete' | 'restore'>({ type: 'string', enum: ['delete', 'restore'] }),
  },
  { additionalProperties: false },
);
const FilterBody = Type.Object({ filter: Type.Union([Type.String({ maxLength: MAX_FILTER_LENGTH }), Type.Null()]) }, { additionalProperties: false });

const STATUS_TEXT = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity' } as const;

function refuse(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof CatalogError) return sendError(reply, error.status, STATUS_TEXT[error.status], error.message);
  if (error instanceof FilterError || error instanceof TubEditError) return sendError(reply, 400, 'Bad Request', error.message);
  if (error instanceof TubError) return sendError(reply, 422, 'Unprocessable Entity', error.message);
  throw error;
}

const keptCount = (view: TubView) => view.kept.filter(Boolean).length;

export const tubRoutes: FastifyPluginAsync<TubRoutesOptions> = async (instance, options) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const requireToken = tokenGuard(app);
  const views = new TubViews(options.tubsDir);
  const recording = (name: string) => options.recordingTubs?.().has(name) ?? false;
  /** the tub's view, unless its recorder still owns the manifest */
  const editable = async (name: string): Promise<TubView> => {
    const view = await views.get(name);
    if (recording(view.name)) throw new CatalogError(409, `tub '${view.name}' is being recorded; edit it once the session ends`);
    return view;
  };

  app.get('/api/tubs/:name', { schema: { params: TubParams } }, async (request, reply) => {
    try {
      const view = await views.get(request.params.name);
      const stamps = view.records.map((r) => r.timestampMs).filter((t): t is number => t !== undefined);
      const answer: TubDetailReply = {
        name: view.name,
        total: view.records.length,
        deleted: view.deleted.size,
        kept: keptCount(view),
        skipped: view.skipped,
        firstIndex: view.records[0]?.index ?? null,
        lastIndex: view.records.at(-1)?.index ?? null,
        startMs: stamps[0] ?? null,
        durationS: stamps.length > 1 ? (stamps[stamps.length - 1]! - stamps[0]!) / 1000 : 0,
        inputs: view.manifest.inputs.map((key, i) => ({ key, type: view.manifest.types[i]! })),
        filter: { ...view.filter, default: DEFAULT_TRAIN_FILTER },
        recording: recording(view.name),
      };
      return answer;
    } catch (error) {
      return refuse(reply, error);
    }
  });

  app.get('/api/tubs/:name/records', { schema: { params: TubParams, querystring: PageQuery } }, async (request, reply) => {
    try {
      const view = await views.get(request.params.name);
      const limit = Math.min(MAX_PAGE, Math.max(1, Number(request.query.limit ?? 100)));
      // `at` pages to the record with that index (or the next one after it)
      const offset = request.query.at !== undefined ? positionOf(view, Number(request.query.at)) : Number(request.query.offset ?? 0);
      const answer: RecordsReply = { total: view.records.length, offset, records: recordRows(view, offset, limit) };
      return answer;
    } catch (error) {
      return refuse(reply, error);
    }
  });

  app.get('/api/tubs/:name/plot', { schema: { params: TubParams, querystring: PlotQuery } }, async (request, reply) => {
    try {
      const view = await views.get(request.params.name);
      const from = Number(request.query.from ?? 0);
      const to = Math.min(view.records.length, Number(request.query.to ?? view.records.length));
      const buckets = Math.min(MAX_BUCKETS, Math.max(1, Number(request.query.buckets ?? 500)));
      const answer: PlotReply = { total: view.records.length, from, to, buckets: plotBuckets(view, from, to, buckets) };
      return answer;
    } catch (error) {
      return refuse(reply, error);
    }
  });

  app.get('/api/tubs/:name/records/:index/image', { schema: { params: RecordParams, querystring: ImageQuery } }, async (request, reply) => {
    try {
      const view = await views.get(request.params.name);
      const record = recordAt(view, Number(request.params.index));
      if (!record) return sendError(reply, 404, 'Not Found', `tub '${view.name}' has no record ${request.params.index}`);
      const jpeg = await fs.readFile(record.imagePath).catch(() => undefined);
      if (!jpeg) return sendError(reply, 404, 'Not Found', `tub '${view.name}' record ${record.index}: its image is missing`);
      if (request.query.size !== 'thumb') return reply.type('image/jpeg').header('cache-control', 'no-cache').send(jpeg);
      const thumb = await sharp(jpeg, { limitInputPixels: 4096 * 4096 })
        .resize({ height: THUMB_HEIGHT })
        .jpeg({ quality: 70 })
        .toBuffer()
        .catch(() => undefined);
      if (!thumb) return sendError(reply, 422, 'Unprocessable Entity', `tub '${view.name}' record ${record.index}: its image cannot be decoded`);
      return reply.type('image/jpeg').header('cache-control', 'no-cache').send(thumb);
    } catch (error) {
      return refuse(reply, error);
    }
  });

  app.get('/api/tubs/:name/filter-check', { schema: { params: TubParams, querystring: FilterQuery } }, async (request, reply) => {
    try {
      const view = await views.get(request.params.name);
      const filter = compileFilter(request.query.filter, filterFields(view.manifest.inputs, view.manifest.types));
      const kept = view.records.filter((r) => !view.deleted.has(r.index) && filter.test(r.values)).length;
      const answer: FilterReply = { filter: filter.text, saved: false, kept, total: view.records.length };
      return answer;
    } catch (error) {
      return refuse(reply, error);
    }
  });

  app.post('/api/tubs/:name/deletions', { onRequest: requireToken, schema: { params: TubParams, body: DeletionsBody } }, async (request, reply) => {
    try {
      const view = await editable(request.params.name);
      const { from, to, action } = request.body;
      const deleted = await changeDeletions(view.dir, { from, to, action });
      const inRange = deleted.filter((i) => i >= from && i <= to).length;
      const answer: DeletionsReply = { deleted: deleted.length, range: { from, to, deleted: inRange } };
      return answer;
    } catch (error) {
      return refuse(reply, error);
    }
  });

  app.put('/api/tubs/:name/filter', { onRequest: requireToken, schema: { params: TubParams, body: FilterBody } }, async (request, reply) => {
    try {
      const view = await editable(request.params.name);
      const text = request.body.filter === null || request.body.filter.trim() === '' ? null : request.body.filter;
      await saveTrainFilter(view.dir, text);
      const after = await views.get(view.name);
      const answer: FilterReply = { filter: after.filter.text, saved: after.filter.saved, kept: keptCount(after), total: after.records.length };
      return answer;
    } catch (error) {
      return refuse(reply, error);
    }
  });
};
