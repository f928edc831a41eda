/**
 * Running the host's tools: a missing one fails at once naming the Debian package to install, and a
 * failing one names its command and the tail of what it printed.
 */
import { spawn, spawnSync } from 'node:child_process';

/** Each tool the build runs and the Debian package that has it. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  mmdebstrap: 'mmdebstrap',
  sfdisk: 'fdisk',
  'mkfs.ext4': 'e2fsprogs',
  'mkfs.vfat': 'dosfstools',
  mcopy: 'mtools',
  mmd: 'mtools',
  mdel: 'mtools',
  mdeltree: 'mtools',
  mtype: 'mtools',
  zstd: 'zstd',
  'grub-mkimage': 'grub-efi-amd64-bin (and grub-common)',
  'grub-editenv': 'grub-common',
  mkenvimage: 'u-boot-tools',
  rauc: 'rauc',
  mksquashfs: 'squashfs-tools',
  mkimage: 'u-boot-tools',
  'qemu-aarch64-static': 'qemu-user-static',
  'arch-test': 'arch-test',
  'aarch64-linux-gnu-g++': 'g++-aarch64-linux-gnu',
  'g++': 'g++',
  make: 'make',
  npm: 'npm (or Node.js from nodejs.org)',
  dd: 'coreutils',
};

export class MissingToolError extends Error {
  override name = 'MissingToolError';
}

export class ToolFailedError extends Error {
  override name = 'ToolFailedError';
}

export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v "$1" >/dev/null`, 'sh', tool], { env: withSbin(process.env) }).status === 0;
}

/** root's tools live in /usr/sbin, which a user's PATH may lack */
function withSbin(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const path = env.PATH ?? '/usr/bin:/bin';
  return { ...env, PATH: `${path}:/usr/sbin:/sbin` };
}

/** Fails at once, naming every missing tool's package. */
export function requireTools(tools: readonly string[]): void {
  const missing = tools.filter((tool) => !hasTool(tool));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((tool) => TOOL_PACKAGES[tool] ?? tool))];
  throw new MissingToolError(`missing ${missing.join(', ')}: apt-get install ${packages.join(' ')}`);
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** called with each line the tool prints (progress) */
  onLine?: (line: string) => void;
}

/** Runs a tool; resolves to its stdout; rejects naming the command and the end of its output. */
export function runTool(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: withSbin(options.env ?? process.env), stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let tail = '';
    const keep = (text: string): void => {
      tail = (tail + text).slice(-4000);
      if (options.onLine) for (const line of text.split('\n')) if (line.trim()) options.onLine(line.trim());
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (stdout.length < 64 * 1024 * 1024) stdout += text;
      keep(text);
    });
    child.stderr!.on('data', (chunk: Buffer) => keep(chunk.toString()));
    child.on('error', (error) => reject(new ToolFailedError(`${command}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new ToolFailedError(`${command} ${args.slice(0, 6).join(' ')}… failed (${signal ?? `exit ${code}`}):\n${tail.trim().split('\n').slice(-15).join('\n')}`));
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // a tool that exits without reading its input fails by its exit code
      child.stdin.end(options.input);
    }
  });
}
