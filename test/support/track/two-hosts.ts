/**
 * Two hosts on one machine, joined by a link that behaves like track Wi-Fi: network namespaces for
 * the NUC and a car, each with a "track" interface (10.42.0.1 and 10.42.0.2) whose packets cross a
 * third namespace where a relay delays, drops, reorders or cuts them (link-relay.ts). The kernel
 * here has no `netem` qdisc (CONFIG_NET_SCH_NETEM is off), so the track interfaces are VXLAN
 * tunnels whose every packet is a UDP datagram through the relay: netem's effect, per packet, in
 * user space. A plain veth joins this host to the NUC (the driver's laptop on the NUC's LAN), so a
 * test's browser and clients reach the NUC unimpaired.
 *
 * Namespaces are machine-wide: names carry this process's pid and a random part, and everything is
 * torn down on close() and on exit (processes in the namespaces killed, namespaces deleted), and
 * namespaces left by a process that is gone are swept at the next start.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isAlive } from '../platform.ts';
import type { DirectionCounters, LinkProfile } from './link-profile.ts';

const PREFIX = 'etk';
const NAME = /^etk(\d+)x([0-9a-f]+)-(nuc|car|link)$/;
const RELAY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'link-relay.ts');
/** the track network: the NUC's and the car's addresses as the car's services use them */
export const NUC_TRACK_ADDRESS = '10.42.0.1';
export const CAR_TRACK_ADDRESS = '10.42.0.2';
const VXLAN_PORT = 4789;
const UNDERLAY = { linkNuc: '172.31.0.1', nuc: '172.31.0.2', linkCar: '172.31.0.5', car: '172.31.0.6' };

export type Host = 'nuc' | 'car';

/** One TCP connection of the car's, as `ss -ti` reports it. */
export interface CarConnection {
  /** the car's local port */
  port: number;
  /** TCP payload bytes received */
  bytesReceived: number;
  /** segments received (each adds its IP and TCP headers on the wire) */
  segmentsIn: number;
  /** payload bytes the car sent that the NUC acknowledged */
  bytesAcked: number;
  /** segments sent, acknowledgements included */
  segmentsOut: number;
}

/** `ss -tinH state established`: a line per connection ("Recv-Q Send-Q Local:Port Peer:Port"), its counters on the next. */
export function parseConnections(output: string): CarConnection[] {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const connections: CarConnection[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (/^\s/.test(lines[i]!)) continue;
    const local = lines[i]!.trim().split(/\s+/)[2] ?? '';
    const info = lines[i + 1] && /^\s/.test(lines[i + 1]!) ? lines[i + 1]! : '';
    const counter = (name: string): number => Number(new RegExp(`\\b${name}:(\\d+)`).exec(info)?.[1] ?? 0);
    connections.push({
      port: Number(local.split(':').at(-1)),
      bytesReceived: counter('bytes_received'),
      segmentsIn: counter('segs_in'),
      bytesAcked: counter('bytes_acked'),
      segmentsOut: counter('segs_out'),
    });
  }
  return connections;
}

export interface TwoHosts {
  /** the namespace names */
  readonly namespaces: Record<Host | 'link', string>;
  /** the NUC's address on the LAN, reachable from this host */
  readonly nucLanAddress: string;
  /** what the link does to every packet from now on, both ways or one (`toCar`: what the NUC sends) */
  setProfile(profile: LinkProfile, direction?: 'toCar' | 'toNuc'): Promise<void>;
  /** a silent partition: every packet lost, no FIN, no ICMP, until heal() */
  partition(): Promise<void>;
  heal(): Promise<void>;
  /** the car's track interface down (the radio off: its sockets see the network unreachable), and up */
  setCarLinkUp(up: boolean): void;
  counters(): Promise<{ toCar: DirectionCounters; toNuc: DirectionCounters }>;
  /** every segment the NUC sends to these TCP ports of the car is lost (until called again); resolves to the segments lost so far */
  blackhole(carPorts: readonly number[]): Promise<number>;
  /** the car's established TCP connections to this port of the NUC, with what each has received */
  carConnectionsTo(nucPort: number): CarConnection[];
  /** a process inside a host's namespace (`ip netns exec`): the argv as it would run here */
  spawnIn(host: Host, argv: readonly string[], options?: SpawnOptions): ChildProcess;
  close(): Promise<void>;
}

function ip(args: readonly string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.error) throw new Error(`ip ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim() || `exit ${result.status}`}`);
}

function quietly(args: readonly string[]): string {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout : '';
}

/** Kills every process in the namespace and deletes it (idempotent, synchronous: it also runs on exit). */
function removeNamespace(name: string): void {
  for (let round = 0; round < 20; round++) {
    const pids = quietly(['netns', 'pids', name]).split(/\s+/).filter(Boolean).map(Number);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    spawnSync('sleep', ['0.05']);
  }
  spawnSync('ip', ['netns', 'del', name]);
}

/** Namespaces of ours whose owner is gone (a test process killed before it could clean up). */
function sweepStale(): void {
  for (const line of quietly(['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = NAME.exec(name);
    if (match && !isAlive(Number(match[1]))) removeNamespace(name);
  }
}

/** Why two hosts cannot be made here (not root, no iproute2, no namespaces or VXLAN), or undefined when they can. */
export function twoHostsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const probe = `${PREFIX}${process.pid}xprobe-link`;
  try {
    ip(['netns', 'add', probe]);
    ip(['-n', probe, 'link', 'add', 'probe0', 'type', 'vxlan', 'id', '1', 'dstport', String(VXLAN_PORT), 'local', '127.0.0.1']);
    return undefined;
  } catch (error) {
    return `cannot create network namespaces with VXLAN: ${(error as Error).message} (iproute2 installed? root?)`;
  } finally {
    removeNamespace(probe);
  }
}

/** A /30 on this host for the LAN to the NUC that no interface here uses yet. */
function freeLanSubnet(): [string, string] {
  const used = quietly(['-4', '-o', 'addr', 'show']);
  for (let attempt = 0; attempt < 64; attempt++) {
    const b = 200 + (randomBytes(1)[0]! % 50);
    const c = randomBytes(1)[0]!;
    const d = (randomBytes(1)[0]! % 63) * 4;
    const prefix = `10.${b}.${c}.`;
    if (!used.includes(prefix)) return [`${prefix}${d + 1}`, `${prefix}${d + 2}`];
  }
  throw new Error('no free 10.x.y.z/30 for the LAN to the NUC namespace');
}

export async function startTwoHosts(options: { seed?: number } = {}): Promise<TwoHosts> {
  sweepStale();
  const id = `${process.pid}x${randomBytes(3).toString('hex')}`;
  const namespaces = { nuc: `${PREFIX}${id}-nuc`, car: `${PREFIX}${id}-car`, link: `${PREFIX}${id}-link` };
  const lanRoot = `el${id.slice(-6)}`;
  const [rootLan, nucLan] = freeLanSubnet();
  const children: ChildProcess[] = [];
  let closed = false;
  const teardown = (): void => {
    if (closed) return;
    closed = true;
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const name of Object.values(namespaces)) removeNamespace(name);
  };
  process.once('exit', teardown);

  try {
    for (const name of Object.values(namespaces)) {
      ip(['netns', 'add', name]);
      ip(['-n', name, 'link', 'set', 'lo', 'up']);
    }
    // the underlay: the link namespace wired to each host
    for (const [host, linkSide, hostSide, linkAddress, hostAddress] of [
      ['nuc', 'wn', 'wire', UNDERLAY.linkNuc, UNDERLAY.nuc],
      ['car', 'wc', 'wire', UNDERLAY.linkCar, UNDERLAY.car],
    ] as const) {
      ip(['-n', namespaces.link, 'link', 'add', linkSide, 'type', 'veth', 'peer', 'name', hostSide, 'netns', namespaces[host]]);
      ip(['-n', namespaces.link, 'addr', 'add', `${linkAddress}/30`, 'dev', linkSide]);
      ip(['-n', namespaces[host], 'addr', 'add', `${hostAddress}/30`, 'dev', hostSide]);
      ip(['-n', namespaces.link, 'link', 'set', linkSide, 'up']);
      ip(['-n', namespaces[host], 'link', 'set', hostSide, 'up']);
    }
    // the track network: a VXLAN tunnel on each host, its datagrams addressed to the relay
    for (const [host, local, remote, address] of [
      ['nuc', UNDERLAY.nuc, UNDERLAY.linkNuc, NUC_TRACK_ADDRESS],
      ['car', UNDERLAY.car, UNDERLAY.linkCar, CAR_TRACK_ADDRESS],
    ] as const) {
      const ns = namespaces[host];
      ip(['-n', ns, 'link', 'add', 'track', 'type', 'vxlan', 'id', '42', 'local', local, 'remote', remote, 'dstport', String(VXLAN_PORT), 'dev', 'wire', 'nolearning']);
      ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'track']);
      ip(['-n', ns, 'link', 'set', 'track', 'up']);
    }
    // static neighbours: no ARP to lose on the lossy link, none to redo after a partition
    const macOf = (host: Host): string => JSON.parse(quietly(['-n', namespaces[host], '-j', 'link', 'show', 'track']))[0].address as string;
    ip(['-n', namespaces.nuc, 'neigh', 'add', CAR_TRACK_ADDRESS, 'lladdr', macOf('car'), 'dev', 'track', 'nud', 'permanent']);
    ip(['-n', namespaces.car, 'neigh', 'add', NUC_TRACK_ADDRESS, 'lladdr', macOf('nuc'), 'dev', 'track', 'nud', 'permanent']);
    // the LAN: this host to the NUC, unimpaired
    ip(['link', 'add', lanRoot, 'type', 'veth', 'peer', 'name', 'lan', 'netns', namespaces.nuc]);
    ip(['addr', 'add', `${rootLan}/30`, 'dev', lanRoot]);
    ip(['link', 'set', lanRoot, 'up']);
    ip(['-n', namespaces.nuc, 'addr', 'add', `${nucLan}/30`, 'dev', 'lan']);
    ip(['-n', namespaces.nuc, 'link', 'set', 'lan', 'up']);
  } catch (error) {
    teardown();
    throw error;
  }

  const spawnIn = (host: Host | 'link', argv: readonly string[], spawnOptions: SpawnOptions = {}): ChildProcess => {
    const child = spawn('ip', ['netns', 'exec', namespaces[host], ...argv], spawnOptions);
    children.push(child);
    return child;
  };

  // the relay, and a line protocol to it: each command answered in order
  const relay = spawnIn('link', [process.execPath, '--import', 'tsx', RELAY, String(VXLAN_PORT), UNDERLAY.nuc, UNDERLAY.car, String(options.seed ?? 1)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const replies: Array<(reply: Record<string, unknown>) => void> = [];
  const lines = readline.createInterface({ input: relay.stdout! });
  const listening = new Promise<void>((resolve, reject) => {
    replies.push(() => resolve());
    relay.once('exit', (code) => reject(new Error(`the link relay exited with ${code} before it listened`)));
  });
  lines.on('line', (line) => replies.shift()?.(JSON.parse(line) as Record<string, unknown>));
  const command = (body: Record<string, unknown>): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      if (relay.exitCode !== null) return reject(new Error('the link relay is gone'));
      replies.push(resolve);
      relay.stdin!.write(`${JSON.stringify(body)}\n`);
    });
  try {
    await listening;
  } catch (error) {
    teardown();
    throw error;
  }

  return {
    namespaces,
    nucLanAddress: nucLan,
    setProfile: async (profile, direction) => void (await command({ profile, ...(direction ? { direction } : {}) })),
    partition: async () => void (await command({ partition: true })),
    heal: async () => void (await command({ partition: false })),
    setCarLinkUp: (up) => ip(['-n', namespaces.car, 'link', 'set', 'track', up ? 'up' : 'down']),
    counters: async () => {
      const reply = await command({ stats: true });
      return { toCar: reply.toCar as DirectionCounters, toNuc: reply.toNuc as DirectionCounters };
    },
    blackhole: async (carPorts) => (await command({ blackhole: [...carPorts] })).blackholed as number,
    carConnectionsTo: (nucPort) => {
      const result = spawnSync('ip', ['netns', 'exec', namespaces.car, 'ss', '-tinH', 'state', 'established', 'dst', `${NUC_TRACK_ADDRESS}:${nucPort}`], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`ss in the car's namespace: ${result.stderr.trim() || `exit ${result.status}`}`);
      return parseConnections(result.stdout);
    },
    spawnIn,
    async close() {
      relay.stdin?.end();
      teardown();
      process.off('exit', teardown);
    },
  };
}
