/**
 * The car's OS image for arm64 (the Raspberry Pi's root file system and kernel), booted under QEMU's
 * `virt` machine (Debian's U-Boot, TCG): see image/scenario.ts for what is asserted; the reboot test
 * runs on x86_64 only (the same provisioning and data code). Needs root (the image build), Debian's
 * image tools, qemu-user for the arm64 packages' scripts and QEMU; .ci/run installs them.
 */
import { describeImageUnderQemu } from './image/scenario.ts';

// OS updates through the NUC on arm64 (U-Boot's boot counter: a good OS, and an unhealthy one that
// falls back) take three more boots under TCG than CI's budget holds: EDGE_HIL_OS_UPDATE_ARM64=1 runs them
const osUpdates = process.env.EDGE_HIL_OS_UPDATE_ARM64 === '1' ? { osUpdates: 'through-nuc' as const } : {};

describeImageUnderQemu({ target: 'qemu-arm64', buildTimeoutMs: 60 * 60_000, bootTimeoutMs: 30 * 60_000, reboot: false, ...osUpdates, enabledBy: { variable: 'EDGE_HIL_IMAGE_ARM64', byDefault: true } });
