/** The tub editor's data: a tub's records in pages, its plot in buckets, its images, and its edits (token). */
import type { DeletionsReply, FilterReply, PlotReply, RecordsReply, TubDetailReply } from '../../nuc/server/wire.ts';
import { json, send } from './rest.ts';

const base = (tub: string) => `/api/tubs/${encodeURIComponent(tub)}`;

export async function fetchTub(tub: string): Promise<TubDetailReply> {
  return json<TubDetailReply>(await fetch(base(tub)));
}

/** A page of records from position `offset`. */
export async function fetchRecords(tub: string, offset: number, limit: number): Promise<RecordsReply> {
  return json<RecordsReply>(await fetch(`${base(tub)}/records?offset=${offset}&limit=${limit}`));
}

/** The position (in the tub's record order) of the record with this index, or of the next one after it. */
export async function positionOf(tub: string, index: number): Promise<number> {
  return (await json<RecordsReply>(await fetch(`${base(tub)}/records?at=${index}&limit=1`))).offset;
}

/** Steering and throttle over records [from, to) in at most `buckets` buckets. */
export async function fetchPlot(tub: string, from: number, to: number, buckets: number): Promise<PlotReply> {
  return json<PlotReply>(await fetch(`${base(tub)}/plot?from=${from}&to=${to}&buckets=${buckets}`));
}

export function imageUrl(tub: string, index: number, size: 'thumb' | 'full' = 'full'): string {
  return `${base(tub)}/records/${index}/image${size === 'thumb' ? '?size=thumb' : ''}`;
}

/** Deletes or restores the records with indexes from..to (inclusive), as Donkeycar's deleted_indexes. */
export async function changeRange(tub: string, from: number, to: number, action: 'delete' | 'restore', token: string): Promise<DeletionsReply> {
  return send<DeletionsReply>('POST', `${base(tub)}/deletions`, token, { from, to, action });
}

export async function checkFilter(tub: string, filter: string): Promise<FilterReply> {
  return json<FilterReply>(await fetch(`${base(tub)}/filter-check?filter=${encodeURIComponent(filter)}`));
}

/** Saves the filter training applies to the tub; null goes back to the default. */
export async function saveFilter(tub: string, filter: string | null, token: string): Promise<FilterReply> {
  return send<FilterReply>('PUT', `${base(tub)}/filter`, token, { filter });
}
