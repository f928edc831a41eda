/**
 * `node --import tsx test/hil/fetch-kernel.ts`: fetches and unpacks the guest kernel (Debian's
 * linux-image-amd64 dependency) into the HIL cache ahead of the tests, and builds the initramfs.
 * .ci/run calls it; the tests do the same on first use.
 */
import { buildInitramfs } from './initramfs.ts';
import { ensureKernel, HilUnavailableError } from './kernel.ts';

try {
  const kernel = await ensureKernel();
  const image = await buildInitramfs(kernel);
  process.stdout.write(`guest kernel ${kernel.packageName} ${kernel.version} (${kernel.release}), initramfs ${image.file}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof HilUnavailableError ? '' : 'unexpected: '}${(error as Error).message}\n`);
  process.exit(1);
}
