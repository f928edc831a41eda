/**
 * OS updates over the air, end to end below the real agent: a real TUF repository serves releases
 * that carry an OS bundle, the agent downloads and verifies it, installs it through a simulated RAUC
 * (test/support/rauc-sim.ts: slots, builds, GRUB's one try per slot), asks for a reboot at a safe
 * moment, and the test reboots the simulated machine (stop the car, the bootloader picks a slot,
 * start the car on that slot's OS). Then the agent's trial decides: marked good, or marked bad and
 * rolled back, and what it reports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildService, findServiceSpec, type ServiceContent } from '../../deploy/index.ts';
import { sleep, waitFor } from '../support/net.ts';
import { ROOT } from '../support/platform.ts';
import { startOsCar, type OsCar, type SimBundle } from '../support/rauc-sim.ts';

const COMPATIBLE = 'edge-car-qemu-x86_64';
const FACTORY = { compatible: COMPATIBLE, version: '0.1.0-aaaa', build: 1000 };
const GOOD_OS: SimBundle = { compatible: COMPATIBLE, version: '0.2.0-bbbb', build: 2000 };
/** an OS whose camera cannot come up (the image lacks what it needs): the car is never healthy on it */
const BROKEN_OS: SimBundle = { compatible: COMPATIBLE, version: '0.3.0-cccc', build: 3000, carConfig: { car: { camera: { source: 'mjpeg', command: ['false'] } } } };

let car: OsCar | undefined;
afterEach(async () => {
  await car?.stop();
  car = undefined;
});

async function pilotFromSource(tag: string): Promise<Record<string, ServiceContent>> {
  const content = await buildService(findServiceSpec('pilot'), ROOT);
  const files = content.files.map((f) => (f.path === content.entry ? { ...f, bytes: Buffer.concat([f.bytes, Buffer.from(`\n// ${tag} ${Date.now()}\n`)]) } : f));
  return { pilot: { ...content, files } };
}

function dump(c: OsCar): string {
  const reports = c.agentReports().map((r) => `${r.at} ${r.header.state} v${r.header.version} os=${r.header.os} ${JSON.stringify(r.header.osSlots)} ${JSON.stringify(r.header.osUpdate)}`);
  const folded = reports.filter((line, i) => i === 0 || line.slice(line.indexOf(' ')) !== reports[i - 1]!.slice(reports[i - 1]!.indexOf(' ')));
  return `boots ${JSON.stringify(c.boots)}\nreboots ${JSON.stringify(c.rebootRequests)}\nrauc ${JSON.stringify(c.sim.state())}\n${folded.slice(-60).join('\n')}\n${c.output().slice(-6000)}`;
}

async function settledOnFactory(c: OsCar): Promise<void> {
  // a regular boot: the healthy car commits its booted slot again (GRUB gives each boot one try)
  await c.waitForAgent((h) => h.os === FACTORY.version && h.osSlots?.booted === 'A' && h.osSlots.A.state === 'good', 'the factory OS marked good', 180_000);
}

describe('OS update over the air', () => {
  it('installs while the car drives, reboots only after osRestS at rest, marks the new OS good, then applies the services', async () => {
    car = await startOsCar({ factory: FACTORY, installMs: 3000, config: { car: { agent: { osRestS: 3, osHealthS: 60 }, drive: { mode: 'user' } } } });
    const c = car;
    try {
      await settledOnFactory(c);
      let driving = true;
      const drive = (async () => {
        while (driving) {
          await c.sendControl(0, 0.5);
          await sleep(100);
        }
      })();
      const release = c.publish({ label: 'OS 0.2 + pilot', services: await pilotFromSource('os-good'), os: GOOD_OS });
      const installing = await c.waitForAgent((h) => h.osUpdate?.outcome === 'installing', 'installing', 60_000);
      const pending = await c.waitForAgent((h) => h.osUpdate?.outcome === 'pending-reboot' && h.osUpdate.version === GOOD_OS.version, 'pending-reboot', 60_000);
      // the car drove through the install
      const speeds = c.telemetry().filter((t) => t.at >= installing.at && t.at <= pending.at).map((t) => t.header.speed ?? 0);
      expect(Math.max(...speeds)).toBeGreaterThan(0.2);
      expect(c.sim.state().installs).toBe(1);
      // the release's services wait for the OS
      expect(c.agentReports().every((r) => r.header.version === 0)).toBe(true);
      await sleep(4000);
      expect(c.rebootRequests).toHaveLength(0); // still driving
      driving = false;
      await drive;
      await c.sendControl(0, 0);
      const lastInput = Date.now();
      await waitFor(() => c.rebootRequests[0], 'the reboot request', 60_000, 50);
      expect(c.rebootRequests[0]!.at - lastInput).toBeGreaterThanOrEqual(3000);
      await c.waitForAgent((h) => h.osUpdate?.outcome === 'good' && h.osUpdate.version === GOOD_OS.version && h.os === GOOD_OS.version && h.osSlots?.booted === 'B', 'the new OS marked good', 120_000);
      expect(c.boots.map((b) => b.slot)).toEqual(['A', 'B']);
      const marked = c.sim.state();
      expect(marked.slots.B).toMatchObject({ ok: true, try: false, version: GOOD_OS.version });
      // only now the release's services
      const applied = await c.waitForAgent((h) => h.version === release.version && h.state === 'idle', 'the release applied on the new OS', 120_000);
      expect(applied.header.osSlots).toMatchObject({ booted: 'B', A: { state: 'good' }, B: { state: 'good', version: GOOD_OS.version } });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${dump(c)}`, { cause: error });
    }
  }, 420_000);

  it('marks an OS that never gets healthy bad, falls back, reports rolled-back and never installs it again', async () => {
    car = await startOsCar({ factory: FACTORY, config: { car: { agent: { osRestS: 1, osHealthS: 20 }, drive: { mode: 'user' } } } });
    const c = car;
    try {
      await settledOnFactory(c);
      c.publish({ label: 'broken OS', os: BROKEN_OS });
      await c.waitForAgent((h) => h.osUpdate?.outcome === 'trial' && h.osSlots?.booted === 'B', 'the trial on B', 120_000);
      const failed = await c.waitForAgent((h) => h.osUpdate?.outcome === 'failed' && h.osSlots?.booted === 'B', 'marked bad', 120_000);
      expect(failed.header.osUpdate?.reason).toMatch(/not healthy within 20 s: camera at 0\.0 frames\/s/);
      const back = await c.waitForAgent((h) => h.osUpdate?.outcome === 'rolled-back' && h.osSlots?.booted === 'A', 'rolled back to A', 120_000);
      expect(back.header.os).toBe(FACTORY.version);
      expect(back.header.osUpdate?.reason).toMatch(/back on slot A: not healthy within 20 s/);
      expect(back.header.osUpdate?.reason).toMatch(/RAUC: A (good|bad).*B bad \(0\.3\.0-cccc\)/);
      expect(back.header.osUpdate?.reason).toMatch(/previous boot: /);
      expect(c.boots.map((b) => b.slot)).toEqual(['A', 'B', 'A']);
      // the release is still the newest: the agent does not loop
      await sleep(6000);
      expect(c.sim.state().installs).toBe(1);
      expect(c.boots).toHaveLength(3);
      expect(c.agentReports().at(-1)!.header.osUpdate?.outcome).toBe('rolled-back');
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${dump(c)}`, { cause: error });
    }
  }, 420_000);

  it('operator policy: waits for the hint, survives an agent crash and a power cut, and a services release waits for the OS', async () => {
    car = await startOsCar({ factory: FACTORY, config: { car: { agent: { osReboot: 'operator', osRestS: 1, osHealthS: 60 }, drive: { mode: 'user' } } } });
    const c = car;
    try {
      await settledOnFactory(c);
      c.publish({ label: 'OS 0.2', os: GOOD_OS });
      await c.waitForAgent((h) => h.osUpdate?.outcome === 'pending-reboot', 'pending-reboot', 60_000);
      // a services release arrives meanwhile: it carries the OS on, and waits for it
      const services = c.publish({ label: 'pilot while the OS waits', services: await pilotFromSource('os-pending') });
      expect(services.os?.version).toBe(GOOD_OS.version);
      await c.sendReleaseHint([]);
      await c.sendReleaseHint(['someone-else']);
      await sleep(5000);
      expect(c.rebootRequests).toHaveLength(0);
      expect(c.agentReports().every((r) => r.header.version === 0)).toBe(true);

      // the agent crashes (no reboot): the installed bundle stays, nothing is installed again
      const crashAt = Date.now();
      await c.restartCar();
      await c.waitForAgent((h) => h.osUpdate?.outcome === 'pending-reboot' && h.osSlots?.booted === 'A', 'pending-reboot after the agent restart', 90_000, crashAt);
      expect(c.sim.state().installs).toBe(1);

      // a power cut: the machine boots the slot RAUC activated, and the agent takes it as the trial
      const cutAt = Date.now();
      await c.powerCut();
      await c.waitForAgent((h) => h.osUpdate?.outcome === 'good' && h.os === GOOD_OS.version && h.osSlots?.booted === 'B', 'good after the power cut', 120_000, cutAt);
      expect(c.rebootRequests).toHaveLength(0);
      expect(c.sim.state().installs).toBe(1);
      await c.waitForAgent((h) => h.version === services.version && h.state === 'idle', 'the services release applied after the OS', 120_000);
      // never interleaved: no service update step ran before the OS was good
      const goodAt = c.agentReports().find((r) => r.header.osUpdate?.outcome === 'good')!.at;
      expect(c.agentReports().filter((r) => r.at < goodAt).every((r) => r.header.state === 'idle' && r.header.version === 0)).toBe(true);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${dump(c)}`, { cause: error });
    }
  }, 420_000);

  it('operator policy: reboots once the release hint lists the car', async () => {
    car = await startOsCar({ factory: FACTORY, config: { car: { agent: { osReboot: 'operator', osRestS: 1, osHealthS: 60 }, drive: { mode: 'user' } } } });
    const c = car;
    try {
      await settledOnFactory(c);
      c.publish({ label: 'OS 0.2', os: GOOD_OS });
      await c.waitForAgent((h) => h.osUpdate?.outcome === 'pending-reboot', 'pending-reboot', 60_000);
      await sleep(3000);
      expect(c.rebootRequests).toHaveLength(0);
      await c.sendReleaseHint([c.carId]);
      await waitFor(() => c.rebootRequests[0], 'the reboot request', 30_000, 50);
      await c.waitForAgent((h) => h.osUpdate?.outcome === 'good' && h.osSlots?.booted === 'B', 'good', 120_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${dump(c)}`, { cause: error });
    }
  }, 420_000);
});
