/**
 * `node --import tsx test/hil/fetch-kernel.ts`: fetches and unpacks the guest kernel (Debian's
 * linux-image-amd64 dependency) into the HIL cache ahead of the tests, and builds the initramfs.
 * .ci/run calls it; the tests do the same on first use.
 */
import { ensureGpioSim, GPIO_SIM_MODULE } from './gpio-sim-module.ts';
import { buildInitramfs } from './initramfs.ts';
import { ensureKernel, HilUnavailableError } from './kernel.ts';

try {
  const kernel = await ensureKernel();
  // the timing gate's HIL test needs gpio-sim, which Debian's kernel lacks: built here from Debian's sources
  const gpioSim = await ensureGpioSim(kernel).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n(the GPIO HIL test will fail with this reason; the others run)\n`);
    return undefined;
  });
  const image = await buildInitramfs(kernel, new Map(gpioSim ? [[GPIO_SIM_MODULE, gpioSim]] : []));
  process.stdout.write(`guest kernel ${kernel.packageName} ${kernel.version} (${kernel.release}), initramfs ${image.file}${gpioSim ? `, ${gpioSim}` : ''}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof HilUnavailableError ? '' : 'unexpected: '}${(error as Error).message}\n`);
  process.exit(1);
}
