#!/usr/bin/env node
// A simulated `rauc` command line (test support, plain JavaScript so that each call starts fast):
// the subcommands the car's agent uses, over a JSON state file (RAUC_SIM_STATE) that stands for
// RAUC's slots and the bootloader's environment (GRUB's ORDER / <slot>_OK / <slot>_TRY scheme). The
// bootloader's side (one try per slot) is test/support/rauc-sim.ts's boot(). A "bundle" is a JSON file
// {compatible, version, build, carConfig?}; install refuses another compatible (as RAUC does) and an
// older build than the running OS (as the image's pre-install handler does).
import fs from 'node:fs';

const stateFile = process.env.RAUC_SIM_STATE;

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function load() {
  if (!stateFile) fail('rauc-sim: RAUC_SIM_STATE is not set');
  return JSON.parse(fs.readFileSync(stateFile, 'utf8'));
}

function save(state) {
  const temp = `${stateFile}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(state, null, 2));
  fs.renameSync(temp, stateFile);
}

const SLOT_NAMES = { A: 'rootfs.0', B: 'rootfs.1' };
const other = (slot) => (slot === 'A' ? 'B' : 'A');

function status(state) {
  return {
    compatible: state.compatible,
    variant: '',
    booted: state.booted,
    boot_primary: SLOT_NAMES[state.order[0]],
    slots: ['A', 'B'].map((slot) => {
      const s = state.slots[slot];
      return {
        [SLOT_NAMES[slot]]: {
          class: 'rootfs',
          device: `/dev/disk/by-partlabel/root${slot}`,
          type: 'ext4',
          bootname: slot,
          state: state.booted === slot ? 'booted' : 'inactive',
          parent: null,
          mountpoint: state.booted === slot ? '/' : null,
          boot_status: s.ok && !s.try ? 'good' : 'bad',
          ...(s.installed
            ? {
                slot_status: {
                  bundle: { compatible: state.compatible, version: s.version, description: null, build: String(s.build), hash: null },
                  installed: { timestamp: new Date(s.installedAt).toISOString(), count: 1 },
                  status: 'ok',
                },
              }
            : {}),
        },
      };
    }),
  };
}

function install(state, file) {
  let bundle;
  try {
    bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    fail(`Failed to check bundle: ${error.code === 'ENOENT' ? `${file}: No such file or directory` : 'bundle format invalid'}`);
  }
  if (bundle.compatible !== state.compatible) fail(`Compatible mismatch: Expected '${state.compatible}' but bundle manifest has '${bundle.compatible}'`);
  const running = state.slots[state.booted];
  if (!(Number.isInteger(bundle.build) && bundle.build >= running.build)) {
    fail(`handler error: pre-install handler: bundle build ${bundle.build} is older than the running OS build ${running.build} (rollback refused)`);
  }
  const target = other(state.booted);
  // the slot is written (a crash here leaves it unbootable), then the bootloader switched to it
  state.slots[target] = { ok: false, try: false };
  save(state);
  const until = Date.now() + (state.installMs ?? 0);
  while (Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  state.slots[target] = { ok: true, try: false, installed: true, installedAt: Date.now(), version: bundle.version, build: bundle.build, ...(bundle.carConfig ? { carConfig: bundle.carConfig } : {}) };
  state.order = [target, state.booted];
  state.installs = (state.installs ?? 0) + 1;
  save(state);
  process.stdout.write('installing\n  0% Installing\n100% Installing done.\nInstalling `' + file + '` succeeded\n');
}

const args = process.argv.slice(2);
const state = load();
state.calls = [...(state.calls ?? []), args.join(' ')].slice(-200);
if (args[0] === 'status' && args[1] === '--detailed' && args[2] === '--output-format=json') {
  save(state);
  process.stdout.write(`${JSON.stringify(status(state))}\n`);
} else if (args[0] === 'status' && (args[1] === 'mark-good' || args[1] === 'mark-bad') && args[2] === 'booted') {
  const slot = state.slots[state.booted];
  if (args[1] === 'mark-good') Object.assign(slot, { ok: true, try: false });
  else Object.assign(slot, { ok: false, try: false });
  save(state);
  process.stdout.write(`rauc status: marked slot ${SLOT_NAMES[state.booted]} as ${args[1] === 'mark-good' ? 'good' : 'bad'}\n`);
} else if (args[0] === 'install' && args.length === 2) {
  save(state);
  install(state, args[1]);
} else {
  fail(`rauc-sim: unsupported arguments: ${args.join(' ')}`);
}
