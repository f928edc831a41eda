/**
 * Tub records as training samples: each image read when its batch is assembled, named for
 * messages. A memory model's samples carry the commands recorded just before each record, as
 * Donkeycar's Collator builds them: only from records whose `_index`es follow one another (so a
 * deleted or filtered-out record breaks the sequence), and a record without enough of them before
 * it is left out.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command, MemorySpec } from '../model/index.ts';
import type { Sample } from './dataset.ts';
import type { TubRecord } from '../tub/index.ts';

export function tubSample(record: TubRecord, history?: readonly Command[]): Sample {
  return {
    image: () => fs.readFile(record.imagePath),
    angle: record.angle,
    throttle: record.throttle,
    ...(history ? { history } : {}),
    source: `tub ${path.basename(record.tub)} record ${record.index}`,
  };
}

/**
 * Samples for a model: one per record, or for a memory model one per record that has its full
 * history among `context` (all the records kept for training, so a train/validation split does not
 * break sequences).
 */
export function tubSamples(records: readonly TubRecord[], memory?: MemorySpec, context: readonly TubRecord[] = records): Sample[] {
  if (!memory) return records.map((record) => tubSample(record));
  const byPlace = new Map(context.map((r) => [`${r.tub}\u0000${r.index}`, r]));
  const samples: Sample[] = [];
  for (const record of records) {
    const history: Command[] = [];
    for (let k = memory.length; k >= 1; k--) {
      const before = byPlace.get(`${record.tub}\u0000${record.index - k}`);
      if (!before) break;
      history.push({ angle: before.angle, throttle: before.throttle });
    }
    if (history.length === memory.length) samples.push(tubSample(record, history));
  }
  return samples;
}
