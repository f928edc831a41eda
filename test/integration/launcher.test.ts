/** `npm start` as a user runs it: every service its own process, restarted on a crash, all gone after Ctrl-C. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CAR_SERVICES } from '../../car/index.ts';
import { NUC_SERVICES } from '../../nuc/index.ts';
import { waitFor } from '../support/net.ts';
import { getJson, isAlive, ROOT, startPlatform, waitForServices, type RunningPlatform } from '../support/platform.ts';

const ALL = [...NUC_SERVICES.map((s) => `nuc/${s.name}`), ...CAR_SERVICES.map((s) => `car/1/${s.name}`)];

describe('launcher', () => {
  let running: RunningPlatform | undefined;
  afterEach(async () => {
    if (running && running.launcher.exitCode === null) await running.stop();
  });

  it('starts the NUC and car 1, serves health and metrics, restarts a killed service, and leaves no process behind', { timeout: 240_000 }, async () => {
    const platform = await startPlatform();
    running = platform;
    try {
      await waitFor(() => platform.output().includes('Dashboard: http://localhost:'), 'the dashboard URL', 120_000);
      const health = await getJson<{ status: string }>(`${platform.baseUrl}/healthz`);
      expect(health.status).toBe('ok');

      const services = await waitForServices(platform.baseUrl, ALL);
      const metrics = await (await fetch(`${platform.baseUrl}/metrics`)).text();
      expect(metrics).toContain('# TYPE edge_bus_messages_in_total counter');
      expect(metrics).toMatch(/edge_service_up\{scope="car",id="1",service="uplink"\} 1/);

      const uplink = services.get('car/1/uplink')!;
      process.kill(uplink.metrics.pid, 'SIGKILL');
      const restarted = await waitFor(async () => {
        const again = await waitForServices(platform.baseUrl, ['car/1/uplink']);
        const pid = again.get('car/1/uplink')!.metrics.pid;
        return pid !== uplink.metrics.pid ? pid : undefined;
      }, 'the uplink to come back with a new pid', 30_000);
      expect(isAlive(restarted)).toBe(true);

      const pids = [...(await waitForServices(platform.baseUrl, ALL)).values()].map((s) => s.metrics.pid);
      const code = await platform.stop();
      expect(code).toBe(0);
      await waitFor(() => pids.every((pid) => !isAlive(pid)), 'every service process to exit', 10_000);
    } finally {
      if (platform.launcher.exitCode === null) await platform.stop();
    }
  });

  it('refuses to start on a bad config file, naming the field and the reason', { timeout: 150_000 }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-badconfig-'));
    const file = path.join(dir, 'edge.yaml');
    fs.writeFileSync(file, 'nuc:\n  httpPort: 99999\n');
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'launcher/main.ts', '--config', file], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('nuc.httpPort');
    expect(result.stderr).toMatch(/less or equal to 65535/);
  });
});
