/** A tub record as a training sample: its image read when the batch is assembled, named for messages. */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Sample } from '../dataset.ts';
import type { TubRecord } from './reader.ts';

export function tubSample(record: TubRecord): Sample {
  return {
    image: () => fs.readFile(record.imagePath),
    angle: record.angle,
    throttle: record.throttle,
    source: `tub ${path.basename(record.tub)} record ${record.index}`,
  };
}
