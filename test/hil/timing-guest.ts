/**
 * Runs the timing gate's guest scenario (guest/timing.ts): Debian's kernel with the GPIO simulator
 * (built for it first if need be: gpio-sim-module.ts) and configfs, the real timing service on one of
 * its lines. Shared by the HIL test and the `timing` benchmark.
 */
import { bundleForGuest } from './bundle.ts';
import { ensureGpioSim, GPIO_SIM_MODULE } from './gpio-sim-module.ts';
import type { TimingRun, TimingScenario } from './guest/timing.ts';
import { ensureKernel } from './kernel.ts';
import { runInGuest, shellQuote, type GuestResult } from './launcher.ts';

export type { TimingRun, TimingScenario } from './guest/timing.ts';

export async function runTimingGuest(scenario: TimingScenario, timeoutMs = 280_000): Promise<{ run: TimingRun; guest: GuestResult }> {
  await ensureGpioSim(await ensureKernel());
  const bundle = await bundleForGuest({ 'timing-guest': 'test/hil/guest/timing.ts' });
  try {
    const guest = await runInGuest({
      command: `node ${shellQuote(bundle.file('timing-guest'))}`,
      modules: [{ name: 'configfs' }, { name: GPIO_SIM_MODULE }],
      env: { HIL_SCENARIO: JSON.stringify(scenario) },
      timeoutMs,
    });
    if (guest.exitCode !== 0) throw new Error(`the guest scenario exited with ${guest.exitCode}:\n${guest.stderr.slice(-6000)}`);
    return { run: JSON.parse(guest.stdout) as TimingRun, guest };
  } finally {
    bundle.remove();
  }
}
