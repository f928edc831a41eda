/**
 * The car's OS image for x86_64 boards, booted under QEMU (q35, OVMF's UEFI, GRUB, TCG): see
 * image/scenario.ts for what is asserted, then the OS-update fault table (image/os-updates.ts) on the same guest. Needs root (the image build), Debian's image tools and
 * QEMU; .ci/run installs them and prebuilds the image. EDGE_HIL_IMAGE=0 leaves it out.
 */
import { describeImageUnderQemu } from './image/scenario.ts';

describeImageUnderQemu({ target: 'qemu-x86_64', buildTimeoutMs: 40 * 60_000, bootTimeoutMs: 20 * 60_000, reboot: true, osUpdates: 'fault-table', enabledBy: { variable: 'EDGE_HIL_IMAGE', byDefault: true } });
