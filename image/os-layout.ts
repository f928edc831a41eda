/** Where things live on the car, and the user its services run as: shared by the image's files and first boot. */

/** Where things live on the car (the data partition's mount point and what sits on it). */
export const CAR_LAYOUT = {
  boot: '/boot/firmware',
  data: '/data',
  /** the car services' data directory: bus keys, trusted root, calibration, estop latch, agent journal and slots, logs */
  carData: '/data/edge',
  config: '/data/edge/config.yaml',
  keys: '/data/edge/keys/bus',
  root: '/data/edge/keys/root.json',
  ssh: '/data/ssh',
  etc: '/data/etc',
  app: '/opt/edge/car',
  node: '/opt/edge/node/bin/node',
  osRelease: '/etc/edge-os-release',
} as const;

/** The car's services run as this user, not root (groups for /dev/i2c-* and /dev/video*). */
export const CAR_USER = { name: 'edge', uid: 990, groups: ['i2c', 'video'] } as const;
