import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runImageCli } from './image-cli.ts';

const data = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-image-cli-'));
afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await runImageCli(['--data', data, ...argv], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, {});
  return { code, text: lines.join('\n') };
}

describe('npm run image (its arguments, before anything is built)', () => {
  it("refuses to build without the OS code-signing CA, saying how to make it", async () => {
    const result = await run('build', '--target', 'qemu-x86_64');
    expect(result.code).not.toBe(0);
    expect(result.text).toContain(`no OS code-signing CA at ${path.join(data, 'keys', 'offline', 'os-ca.cert.pem')}`);
    expect(result.text).toContain('run npm run deploy -- init');
  });

  it('names a --keyring that does not exist, and a --cert without --key', async () => {
    expect((await run('build', '--target', 'qemu-x86_64', '--keyring', path.join(data, 'nope.pem'))).text).toMatch(/--keyring .*nope\.pem does not exist/);
    const keyring = path.join(data, 'ca.pem');
    fs.writeFileSync(keyring, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
    expect((await run('bundle', '--target', 'qemu-x86_64', '--keyring', keyring, '--cert', keyring)).text).toContain('--cert and --key go together');
    expect((await run('bundle', '--target', 'qemu-x86_64', '--keyring', keyring)).text).toMatch(/no OS signing cert at .*os-signing\.cert\.pem: run npm run deploy -- init/);
    expect((await run('bundle', '--target', 'pdp-11', '--keyring', keyring)).text).toContain('--target must be one of');
  });
});
