/**
 * The wire between the two hosts: run inside the link namespace, it receives the VXLAN datagrams
 * each host's track interface sends (one Ethernet frame each, so one packet of the hosts' traffic)
 * and passes them to the other host, through a LinkDirection per direction: delayed, lost,
 * reordered, rate-limited or cut as the profile says. Commands arrive on stdin as JSON lines
 * (`{"profile": {...}}` both ways or with `"direction": "toCar"`, `{"partition": true}`, `{"stats": true}`,
 * `{"blackhole": [ports]}`: every NUC → car TCP segment to those car ports lost), each answered on stdout.
 *
 *   node --import tsx link-relay.ts <port> <nuc underlay address> <car underlay address> <seed>
 */
import dgram from 'node:dgram';
import readline from 'node:readline';
import { seededRandom } from '../../../runtime/index.ts';
import { CLEAN, LinkDirection, type LinkProfile } from './link-profile.ts';
import { finishInnerChecksum, innerTcpPorts } from './vxlan.ts';

interface Queued {
  at: number;
  order: number;
  bytes: Buffer;
}

/** A min-heap on (at, order): the next datagram due. */
class DueQueue {
  private readonly items: Queued[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Queued | undefined {
    return this.items[0];
  }

  push(item: Queued): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): Queued | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && before(items[l]!, items[m]!)) m = l;
        if (r < items.length && before(items[r]!, items[m]!)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Queued, b: Queued): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

const [portArg, nucAddress, carAddress, seedArg] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || !nucAddress || !carAddress) {
  process.stderr.write('usage: link-relay.ts <port> <nuc underlay address> <car underlay address> [seed]\n');
  process.exit(2);
}
const random = seededRandom(Number(seedArg ?? 1));
const socket = dgram.createSocket('udp4');
const directions = { toCar: new LinkDirection(CLEAN), toNuc: new LinkDirection(CLEAN) };
const queues = { toCar: new DueQueue(), toNuc: new DueQueue() };
const targets = { toCar: carAddress, toNuc: nucAddress };
let order = 0;
/** car-side TCP ports whose segments from the NUC are all lost (one connection's packets, not the link's) */
let blackhole = new Set<number>();
let blackholed = 0;
let timer: NodeJS.Timeout | undefined;
let timerAt = Number.POSITIVE_INFINITY;

function flush(): void {
  timer = undefined;
  timerAt = Number.POSITIVE_INFINITY;
  const now = performance.now();
  for (const key of ['toCar', 'toNuc'] as const) {
    const queue = queues[key];
    while (queue.size > 0 && queue.peek()!.at <= now + 0.5) socket.send(queue.pop()!.bytes, port, targets[key]);
  }
  arm();
}

function arm(): void {
  const next = Math.min(queues.toCar.peek()?.at ?? Number.POSITIVE_INFINITY, queues.toNuc.peek()?.at ?? Number.POSITIVE_INFINITY);
  if (next === Number.POSITIVE_INFINITY || next >= timerAt) return;
  if (timer) clearTimeout(timer);
  timerAt = next;
  timer = setTimeout(flush, Math.max(0, next - performance.now()));
}

socket.on('message', (bytes, from) => {
  const key = from.address === nucAddress ? 'toCar' : from.address === carAddress ? 'toNuc' : undefined;
  if (!key) return;
  if (key === 'toCar' && blackhole.size > 0) {
    const ports = innerTcpPorts(bytes);
    if (ports && blackhole.has(ports.destination)) {
      blackholed++;
      return;
    }
  }
  const now = performance.now();
  const verdict = directions[key].take(now, bytes.length, random);
  if (!verdict.send) return;
  finishInnerChecksum(bytes);
  if (verdict.at <= now + 0.5) {
    // due now (no delay, or reordered: it overtakes what waits)
    socket.send(bytes, port, targets[key]);
    return;
  }
  queues[key].push({ at: verdict.at, order: order++, bytes });
  arm();
});

function answer(reply: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let command: { profile?: LinkProfile; direction?: 'toCar' | 'toNuc'; partition?: boolean; stats?: boolean; blackhole?: number[] };
  try {
    command = JSON.parse(line) as typeof command;
  } catch {
    answer({ ok: false, error: `not JSON: ${line.slice(0, 80)}` });
    return;
  }
  const profile = command.profile;
  if (profile) for (const direction of command.direction ? [directions[command.direction]] : Object.values(directions)) direction.profile = profile;
  if (command.partition !== undefined) for (const direction of Object.values(directions)) direction.partitioned = command.partition;
  if (command.blackhole !== undefined) blackhole = new Set(command.blackhole);
  answer({ ok: true, toCar: directions.toCar.counters, toNuc: directions.toNuc.counters, blackholed });
});
process.stdin.on('end', () => process.exit(0));

socket.bind(port, () => answer({ ok: true, listening: port }));
