/** The image's OS-update shell scripts, run with the host's sh on scratch files. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { markGoodScript, preInstallHandler } from './os-update-files.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-os-update-scripts-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs a script text with sh in a scratch folder; returns its exit code and output. */
function runSh(script: string, env: Record<string, string> = {}): { code: number | null; out: string } {
  const file = path.join(work, `script-${Math.random().toString(36).slice(2)}.sh`);
  fs.writeFileSync(file, script, { mode: 0o755 });
  const result = spawnSync('sh', [file], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8' });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('the pre-install handler (a bundle older than the running OS is refused)', () => {
  const release = path.join(work, 'edge-os-release');
  const refusal = path.join(work, 'refusal');
  const handler = preInstallHandler(release, refusal);
  const bundle = (manifest: string): string => {
    const dir = fs.mkdtempSync(path.join(work, 'bundle-'));
    fs.writeFileSync(path.join(dir, 'manifest.raucm'), manifest);
    return dir;
  };
  const manifest = (build: string, version = '0.2.0-aaaabbbb'): string => `[update]\ncompatible=edge-car-qemu-x86_64\nversion=${version}\nbuild=${build}\n\n[bundle]\nformat=verity\n\n[image.rootfs]\nfilename=rootfs.ext4\n`;
  fs.writeFileSync(release, 'EDGE_OS_VERSION=0.1.0-1a2b3c4d\nEDGE_OS_BUILD=1796601600\n');

  it('accepts a newer build and the same build (a reinstall)', () => {
    for (const build of ['1796601601', '1796601600']) {
      const result = runSh(handler, { RAUC_BUNDLE_MOUNT_POINT: bundle(manifest(build)) });
      expect(result.code, result.out).toBe(0);
      expect(result.out).toContain(`build ${build}, running build 1796601600: accepted`);
    }
  });

  it("refuses an older build with RAUC's error line naming both builds", () => {
    const result = runSh(handler, { RAUC_BUNDLE_MOUNT_POINT: bundle(manifest('1796601599', '0.0.9-old')) });
    expect(result.code).toBe(1);
    expect(result.out).toContain('<< error bundle 0.0.9-old (build 1796601599) is older than the running OS (build 1796601600): an OS update never goes back');
    expect(fs.readFileSync(refusal, 'utf8')).toBe('bundle 0.0.9-old (build 1796601599) is older than the running OS (build 1796601600): an OS update never goes back\n');
    expect(runSh(handler, { RAUC_BUNDLE_MOUNT_POINT: bundle(manifest('1796601601')) }).code).toBe(0);
    expect(fs.existsSync(refusal)).toBe(false);
  });

  it("reads build= from [update] only, and refuses a missing, odd or oversized build", () => {
    const elsewhere = '[update]\ncompatible=x\nversion=1\n\n[image.rootfs]\nbuild=1796601700\nfilename=rootfs.ext4\n';
    for (const text of [elsewhere, manifest(''), manifest('17966016oo'), manifest('$(reboot)'), manifest('9999999999999'), manifest('-1')]) {
      const result = runSh(handler, { RAUC_BUNDLE_MOUNT_POINT: bundle(text) });
      expect(result.code, text).toBe(1);
      expect(result.out).toContain("<< error the bundle's manifest has no valid [update] build=");
    }
    const spaced = runSh(handler, { RAUC_BUNDLE_MOUNT_POINT: bundle('[update]\ncompatible=x\nbuild = 1796601700 \n') });
    expect(spaced.code, spaced.out).toBe(0);
  });

  it('refuses when the bundle has no manifest or the running OS states no build', () => {
    expect(runSh(handler, {}).out).toContain("<< error the bundle's manifest (/manifest.raucm) is not readable");
    fs.writeFileSync(release, 'EDGE_OS_VERSION=0.1.0-1a2b3c4d\n');
    const result = runSh(handler, { RAUC_BUNDLE_MOUNT_POINT: bundle(manifest('1796601601')) });
    expect(result.code).toBe(1);
    expect(result.out).toContain('<< error the running OS states no build (EDGE_OS_BUILD in');
    fs.writeFileSync(release, 'EDGE_OS_VERSION=0.1.0-1a2b3c4d\nEDGE_OS_BUILD=1796601600\n');
  });
});

describe('marking the booted slot good at the end of a boot', () => {
  const cmdline = path.join(work, 'cmdline');
  const marker = path.join(work, 'trial.json');
  const calls = path.join(work, 'rauc-calls');
  const fakeRauc = path.join(work, 'fake-rauc');
  fs.writeFileSync(fakeRauc, `#!/bin/sh\necho "$@" >> '${calls}'\n`, { mode: 0o755 });
  const script = markGoodScript(cmdline, marker, fakeRauc);
  const run = (line: string, trial?: object): { out: string; calls: string } => {
    fs.writeFileSync(cmdline, `${line}\n`);
    fs.rmSync(marker, { force: true });
    fs.rmSync(calls, { force: true });
    if (trial) fs.writeFileSync(marker, JSON.stringify(trial));
    const result = runSh(script);
    expect(result.code, result.out).toBe(0);
    return { out: result.out, calls: fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8') : '' };
  };

  it('marks a normally booted slot good', () => {
    expect(run('root=PARTLABEL=rootB ro rauc.slot=B panic=5').calls).toBe('status mark-good booted\n');
  });

  it("leaves an OS update on trial to the agent, but marks the old slot good when the trial's slot did not boot", () => {
    const trial = run('root=PARTLABEL=rootB ro rauc.slot=B', { version: '0.2.0-x', slot: 'B', startedAt: '2026-12-07T18:00:00Z' });
    expect(trial.calls).toBe('');
    expect(trial.out).toContain('slot B is on trial');
    expect(run('root=PARTLABEL=rootA ro rauc.slot=A', { version: '0.2.0-x', slot: 'B', startedAt: '2026-12-07T18:00:00Z' }).calls).toBe('status mark-good booted\n');
  });

  it('does nothing on a kernel command line without a slot', () => {
    expect(run('root=/dev/vda2 ro rauc.slot=C').calls).toBe('');
  });
});
