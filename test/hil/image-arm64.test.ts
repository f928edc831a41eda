/**
 * The car's OS image for arm64 (the Raspberry Pi's root file system and kernel), booted under QEMU's
 * `virt` machine (Debian's U-Boot, TCG): see image/scenario.ts for what is asserted; the reboot test
 * runs on x86_64 only (the same provisioning and data code). Needs root (the image build), Debian's
 * image tools, qemu-user for the arm64 packages' scripts and QEMU; .ci/run installs them.
 */
import { describeImageUnderQemu } from './image/scenario.ts';

describeImageUnderQemu({ target: 'qemu-arm64', buildTimeoutMs: 60 * 60_000, bootTimeoutMs: 30 * 60_000, reboot: false, enabledBy: { variable: 'EDGE_HIL_IMAGE_ARM64', byDefault: true } });
