/**
 * A root shell into the image's QEMU guest, for the tests only: the OS-update tests must run RAUC by
 * hand, copy bundles in and read the journal, and the image has no test access of its own (SSH takes
 * keys at provisioning, and the console belongs to the kernel and the reporter).
 *
 * The host side is a small HTTP server in the test process; the guest reaches it through QEMU's user
 * network (10.0.2.2). The guest side is a Node script on the test's copy of the boot partition,
 * started as root by the test reporter (test/hil/image/guest.ts): it asks the host for the next
 * command, runs it with `sh -c` (or downloads a file the host offers), and posts back the exit code
 * and output. It lives on the test disk only, never in an image.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const SHELL_SCRIPT_NAME = 'edge-test-shell.mjs';
export const SHELL_URL_FILE = 'edge-test-shell.url';

/** The guest side: plain Node (the image's own binary), no modules. */
export const SHELL_SCRIPT = `// test-only (written by test/hil/image/test-shell.ts): runs the host's commands as root
import { spawn } from 'node:child_process';
import fs from 'node:fs';
const base = fs.readFileSync(new URL('./${SHELL_URL_FILE}', import.meta.url), 'utf8').trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (line) => { try { fs.writeFileSync('/dev/console', 'EDGE-SHELL ' + line + '\\n'); } catch {} };
function sh(command, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const take = (d) => { out += d; if (out.length > 200000) out = out.slice(-100000); };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? -1, signal, output: out }); });
  });
}
// after: the last job this side ran and answered (the host hands back any later job it sent: lost on the way)
let after = 0;
let last = { id: 0, result: undefined };
// this run of the script (a reboot starts another): the host never re-sends a job of an earlier run
const run = crypto.randomUUID();
let told = false;
async function answer(id, result) {
  for (let attempt = 1; attempt <= 10; attempt++) {
    try {
      const reply = await fetch(base + '/result?id=' + id, { method: 'POST', body: JSON.stringify(result), signal: AbortSignal.timeout(60000) });
      if (reply.ok) return true;
    } catch {}
    await sleep(2000);
  }
  return false;
}
for (;;) {
  try {
    // the host answers a poll within 20 s; a slow guest under TCG gets plenty more before giving up on it
    const reply = await fetch(base + '/next?after=' + after + '&run=' + run, { signal: AbortSignal.timeout(180000) });
    if (!told) { say('connected ' + base); told = true; }
    if (reply.status === 204) continue;
    const job = await reply.json();
    if (job.id === last.id) {
      // handed again (the host never heard the answer): answered again, not run twice
      if (await answer(job.id, last.result)) after = job.id;
      continue;
    }
    let result;
    if (job.fetch) {
      const file = await fetch(base + '/files/' + encodeURIComponent(job.fetch.name));
      if (!file.ok) result = { code: 1, output: 'GET ' + job.fetch.name + ': HTTP ' + file.status };
      else {
        const tmp = job.fetch.to + '.part';
        await fs.promises.writeFile(tmp, Buffer.from(await file.arrayBuffer()));
        const fd = fs.openSync(tmp, 'r'); fs.fsyncSync(fd); fs.closeSync(fd);
        fs.renameSync(tmp, job.fetch.to);
        result = { code: 0, output: '' };
      }
    } else result = await sh(job.sh, job.timeoutMs);
    last = { id: job.id, result };
    // unanswered, 'after' stays: the host hands the job again and gets the kept answer
    if (await answer(job.id, result)) after = job.id;
  } catch (error) {
    await sleep(1000);
  }
}
`;

export interface ShellResult {
  code: number;
  signal?: string | null;
  output: string;
}

interface Job {
  id: number;
  sh?: string;
  fetch?: { name: string; to: string };
  timeoutMs: number;
  /** the guest script's run it was sent to */
  run?: string;
  resolve(result: ShellResult): void;
  reject(error: Error): void;
}

export interface TestShell {
  /** what the guest fetches from (QEMU's user network reaches the host's loopback at 10.0.2.2) */
  guestUrl: string;
  /** runs `command` with sh as root in the guest; resolves with its exit code and output */
  run(command: string, timeoutMs?: number): Promise<ShellResult>;
  /** like run, but fails (with the output) on a non-zero exit */
  check(command: string, timeoutMs?: number): Promise<string>;
  /** makes `file` on the host downloadable by the guest as `name` */
  offer(name: string, file: string): void;
  /** the guest downloads an offered file to `to` (written whole, fsynced, renamed) */
  copyIn(name: string, to: string, timeoutMs?: number): Promise<void>;
  /** forgets the commands in flight (the guest lost power): they fail */
  abandon(reason: string): void;
  stop(): Promise<void>;
}

export async function startTestShell(): Promise<TestShell> {
  const queue: Job[] = [];
  const sent = new Map<number, Job>();
  const files = new Map<string, string>();
  const waiting: Array<() => void> = [];
  let nextId = 1;
  /** hands queued commands to the guest's waiting long polls */
  const wake = (): void => {
    for (const offer of [...waiting]) offer();
  };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://host');
    if (request.method === 'GET' && url.pathname === '/next') {
      // the guest runs one job at a time: a job sent after the last one it answered never reached it
      // (its poll had given up), so it goes back to the front of the queue
      const after = Number(url.searchParams.get('after') ?? 0);
      const run = url.searchParams.get('run') ?? '';
      for (const job of [...sent.values()].sort((a, b) => b.id - a.id)) {
        if (job.run !== run) {
          // sent to the guest before it restarted: never run again (a reboot command would loop)
          sent.delete(job.id);
          job.reject(new Error(`the guest restarted before it answered \`${job.sh ?? job.fetch?.name}\``));
        } else if (job.id > after) {
          sent.delete(job.id);
          queue.unshift(job);
        }
      }
      // a long poll: answered once, with the next command or after 20 s with none; a guest that
      // went away (a reboot, a power cut) is forgotten, so no command is handed to a dead connection
      let answered = false;
      const answer = (): boolean => {
        if (answered) return false;
        answered = true;
        clearTimeout(timer);
        const index = waiting.indexOf(offer);
        if (index >= 0) waiting.splice(index, 1);
        return true;
      };
      const offer = (): void => {
        const job = queue[0];
        if (!job || !answer()) return;
        queue.shift();
        job.run = run;
        sent.set(job.id, job);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: job.id, sh: job.sh, fetch: job.fetch, timeoutMs: job.timeoutMs }));
      };
      const timer = setTimeout(() => {
        if (answer()) response.writeHead(204).end();
      }, 20_000);
      response.on('close', () => void answer());
      waiting.push(offer);
      offer();
      return;
    }
    if (request.method === 'GET' && url.pathname.startsWith('/files/')) {
      const file = files.get(decodeURIComponent(url.pathname.slice('/files/'.length)));
      if (!file) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-length': fs.statSync(file).size });
      fs.createReadStream(file).pipe(response);
      return;
    }
    if (request.method === 'POST' && url.pathname === '/result') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        response.writeHead(204).end();
        const job = sent.get(Number(url.searchParams.get('id')));
        if (!job) return;
        sent.delete(job.id);
        try {
          job.resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ShellResult);
        } catch (error) {
          job.reject(error as Error);
        }
      });
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const submit = (job: Omit<Job, 'id' | 'resolve' | 'reject'>): Promise<ShellResult> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      // the guest's own limit, plus its time to answer: a guest that never does is an error, not a hang
      const timer = setTimeout(() => {
        const index = queue.findIndex((queued) => queued.id === id);
        if (index >= 0) queue.splice(index, 1);
        sent.delete(id);
        reject(new Error(`the guest's shell did not answer \`${job.sh ?? job.fetch?.name}\` within ${job.timeoutMs + 600_000} ms`));
      }, job.timeoutMs + 600_000);
      const settle = <T>(how: (value: T) => void) => (value: T): void => {
        clearTimeout(timer);
        how(value);
      };
      queue.push({ ...job, id, resolve: settle(resolve), reject: settle(reject) });
      wake();
    });
  const shell: TestShell = {
    guestUrl: `http://10.0.2.2:${port}`,
    run: (command, timeoutMs = 120_000) => submit({ sh: command, timeoutMs }),
    async check(command, timeoutMs) {
      const result = await shell.run(command, timeoutMs);
      if (result.code !== 0) throw new Error(`in the guest, \`${command}\` exited ${result.code}${result.signal ? ` (${result.signal})` : ''}:\n${result.output.slice(-4000)}`);
      return result.output;
    },
    offer: (name, file) => void files.set(name, file),
    async copyIn(name, to, timeoutMs = 600_000) {
      const result = await submit({ fetch: { name, to }, timeoutMs });
      if (result.code !== 0) throw new Error(`copying ${name} into the guest: ${result.output}`);
    },
    abandon(reason) {
      for (const job of [...queue.splice(0), ...sent.values()]) job.reject(new Error(`the guest's shell lost the command: ${reason}`));
      sent.clear();
    },
    async stop() {
      shell.abandon('the test ended');
      wake();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return shell;
}
