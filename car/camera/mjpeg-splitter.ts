/**
 * Splits an MJPEG byte stream (JPEGs back to back, as `libcamera-vid --codec mjpeg` or
 * `ffmpeg -f mjpeg` print them) into whole JPEG images, fed in chunks cut anywhere.
 *
 * It walks the marker segments by their declared length up to the start of scan, so an EXIF
 * thumbnail (a whole JPEG inside APP1, with its own SOI/EOI) is skipped rather than mistaken for a
 * frame boundary. In entropy-coded data only 0xFF followed by a byte other than 0x00 (stuffing) and
 * RST0–7 is a marker; EOI ends the frame, an SOI means the previous frame was cut short.
 */
import { isStartOfFrame } from '../../protocol/index.ts';

export interface SplitJpeg {
  /** the bytes from SOI to EOI inclusive, a fresh copy */
  jpeg: Buffer;
  width: number;
  height: number;
}

export type SplitDropReason = 'oversized' | 'truncated' | 'garbled';

export interface SplitterStats {
  frames: number;
  /** bytes skipped while looking for a start of image */
  garbageBytes: number;
  dropped: Record<SplitDropReason, number>;
}

export interface SplitterOptions {
  /** a frame growing past this is dropped (a garbled stream must not eat memory); default 8 MiB */
  maxFrameBytes?: number;
}

export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;

function isRestart(marker: number): boolean {
  return marker >= 0xd0 && marker <= 0xd7;
}

type State =
  | 'seek' // outside a frame, looking for FF D8
  | 'seekFF' // outside a frame, just saw FF
  | 'markerFF' // in the headers, expecting the FF of the next marker
  | 'markerCode' // in the headers, after FF
  | 'length1'
  | 'length2'
  | 'segment' // skipping a segment's payload
  | 'entropy' // scanning entropy-coded data for FF
  | 'entropyFF'; // in entropy-coded data, just saw FF

export class MjpegSplitter {
  private readonly maxFrameBytes: number;
  private state: State = 'seek';
  /** bytes of the frame being assembled that came in earlier chunks (copied) */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private segmentMarker = 0;
  private segmentLength = 0;
  private segmentRemaining = 0;
  private segmentOffset = 0;
  private width = 0;
  private height = 0;
  private sofSeen = false;
  private sosSeen = false;
  readonly stats: SplitterStats = { frames: 0, garbageBytes: 0, dropped: { oversized: 0, truncated: 0, garbled: 0 } };

  constructor(options: SplitterOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 4) throw new RangeError(`maxFrameBytes must be an integer >= 4, got ${max}`);
    this.maxFrameBytes = max;
  }

  /** True while a frame has started but not ended. */
  get inFrame(): boolean {
    return this.state !== 'seek' && this.state !== 'seekFF';
  }

  /** Feeds the next chunk of the stream; returns the frames it completed, in order. */
  push(chunk: Uint8Array): SplitJpeg[] {
    const out: SplitJpeg[] = [];
    // Where the current frame's bytes begin in this chunk (0 when it began in an earlier one).
    let frameStart = 0;
    const startFrameAt = (soiIndex: number): void => {
      // The SOI's FF may sit at the end of the previous chunk: always begin with a copied FF.
      this.resetFrame();
      this.parts.push(Buffer.from([0xff]));
      this.partsBytes = 1;
      frameStart = soiIndex;
      this.state = 'markerFF';
    };
    const finishFrame = (eoiIndex: number): void => {
      const size = this.partsBytes + (eoiIndex + 1 - frameStart);
      if (size > this.maxFrameBytes) {
        this.drop('oversized');
        return;
      }
      if (!this.sofSeen || !this.sosSeen || this.width === 0 || this.height === 0) {
        this.drop('garbled');
        return;
      }
      const jpeg = Buffer.concat([...this.parts, chunk.subarray(frameStart, eoiIndex + 1)], size);
      out.push({ jpeg, width: this.width, height: this.height });
      this.stats.frames++;
      this.resetFrame();
      this.state = 'seek';
    };
    /** A marker inside a frame: in the headers, or after a scan (EOI, or the next table/scan of a progressive JPEG). */
    const onMarker = (code: number, index: number): void => {
      if (code === SOI) {
        // A new image began before this one ended.
        this.drop(this.sosSeen ? 'truncated' : 'garbled');
        startFrameAt(index);
      } else if (code === EOI) {
        finishFrame(index);
      } else if (isRestart(code) || code === TEM) {
        this.state = 'markerFF';
      } else if (code === 0x00) {
        this.drop('garbled');
      } else {
        this.segmentMarker = code;
        this.state = 'length1';
      }
    };

    const bytes = chunk;
    const length = bytes.length;
    let i = 0;
    while (i < length) {
      switch (this.state) {
        case 'seek': {
          const ff = bytes.indexOf(0xff, i);
          if (ff < 0) {
            this.stats.garbageBytes += length - i;
            i = length;
          } else {
            this.stats.garbageBytes += ff - i + 1; // the FF is given back if an SOI follows
            i = ff + 1;
            this.state = 'seekFF';
          }
          break;
        }
        case 'seekFF': {
          const b = bytes[i]!;
          if (b === SOI) {
            this.stats.garbageBytes--;
            startFrameAt(i);
            i++;
          } else if (b === 0xff) {
            this.stats.garbageBytes++;
            i++;
          } else {
            this.state = 'seek';
          }
          break;
        }
        case 'markerFF': {
          if (bytes[i] === 0xff) {
            this.state = 'markerCode';
            i++;
          } else {
            // Not a marker where one must be: the stream is damaged; resync on this byte.
            this.drop('garbled');
          }
          break;
        }
        case 'markerCode': {
          const b = bytes[i]!;
          if (b !== 0xff) onMarker(b, i); // FF FF is fill before a marker
          i++;
          break;
        }
        case 'length1':
          this.segmentLength = bytes[i]! << 8;
          this.state = 'length2';
          i++;
          break;
        case 'length2': {
          this.segmentLength |= bytes[i]!;
          i++;
          if (this.segmentLength < 2) {
            this.drop('garbled');
            break;
          }
          this.segmentRemaining = this.segmentLength - 2;
          this.segmentOffset = 0;
          if (isStartOfFrame(this.segmentMarker)) {
            if (this.segmentRemaining < 5) {
              this.drop('garbled');
              break;
            }
          }
          this.state = 'segment';
          if (this.segmentRemaining === 0) this.endSegment();
          break;
        }
        case 'segment': {
          const take = Math.min(this.segmentRemaining, length - i);
          if (isStartOfFrame(this.segmentMarker) && !this.sofSeen) {
            // payload: precision(1) height(2) width(2) ...
            for (let k = 0; k < take && this.segmentOffset + k < 5; k++) {
              const at = this.segmentOffset + k;
              const b = bytes[i + k]!;
              if (at === 1) this.height = b << 8;
              else if (at === 2) this.height |= b;
              else if (at === 3) this.width = b << 8;
              else if (at === 4) this.width |= b;
            }
            if (this.segmentOffset + take >= 5) this.sofSeen = true;
          }
          this.segmentOffset += take;
          this.segmentRemaining -= take;
          i += take;
          if (this.segmentRemaining === 0) this.endSegment();
          break;
        }
        case 'entropy': {
          const ff = bytes.indexOf(0xff, i);
          if (ff < 0) {
            i = length;
          } else {
            i = ff + 1;
            this.state = 'entropyFF';
          }
          break;
        }
        case 'entropyFF': {
          const b = bytes[i]!;
          if (b === 0x00 || isRestart(b)) this.state = 'entropy';
          else if (b !== 0xff) onMarker(b, i);
          i++;
          break;
        }
      }
    }

    if (this.inFrame) {
      const pending = length - frameStart;
      if (this.partsBytes + pending > this.maxFrameBytes) {
        this.drop('oversized');
      } else if (pending > 0) {
        this.parts.push(Buffer.from(bytes.subarray(frameStart)));
        this.partsBytes += pending;
      }
    }
    return out;
  }

  /** The stream ended (e.g. the camera command exited): a frame still being assembled is truncated. */
  end(): void {
    if (this.inFrame) this.drop('truncated');
    this.state = 'seek';
  }

  private endSegment(): void {
    if (this.segmentMarker === SOS) {
      this.sosSeen = true;
      this.state = 'entropy';
    } else {
      this.state = 'markerFF';
    }
  }

  private drop(reason: SplitDropReason): void {
    this.stats.dropped[reason]++;
    this.resetFrame();
    this.state = 'seek';
  }

  private resetFrame(): void {
    this.parts = [];
    this.partsBytes = 0;
    this.width = 0;
    this.height = 0;
    this.sofSeen = false;
    this.sosSeen = false;
  }
}

/** Width and height of the first complete JPEG in `bytes`, or undefined if there is none. */
export function readJpegSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const [first] = new MjpegSplitter({ maxFrameBytes: Math.max(4, bytes.length) }).push(bytes);
  return first ? { width: first.width, height: first.height } : undefined;
}
