/**
 * `npm run image -- provision <image>`: what a user does by hand on the card, done to an image file:
 * edge-car.yaml and the key folder written into the boot partition with mtools (nothing mounted).
 * Checked with the same rules first boot applies, so a bad file fails here, naming the field.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLIENT_KEY_FILES } from '../protocol/index.ts';
import { checkProvisioning, describeProblems, IDENTITY_FILE, PAIR_DIR, PROVISION_FILE, provisionFileYaml, ROOT_FILE, type ProvisionFile } from './provisioning.ts';
import { requireTools, runTool } from './tools.ts';

export interface ImageProvisionOptions {
  image: string;
  file: ProvisionFile;
  /** the folder `npm run bus -- pair … --out <dir>` wrote */
  pairDir: string;
}

/** The boot partition's byte offset: the first partition in sfdisk's JSON dump. */
async function bootOffset(image: string): Promise<number> {
  const dump = JSON.parse(await runTool('sfdisk', ['--json', image])) as { partitiontable: { sectorsize?: number; partitions: { start: number }[] } };
  const first = dump.partitiontable.partitions[0];
  if (!first) throw new Error(`${image} has no partitions`);
  return first.start * (dump.partitiontable.sectorsize ?? 512);
}

export async function provisionImage(options: ImageProvisionOptions): Promise<void> {
  requireTools(['sfdisk', 'mcopy', 'mmd', 'mdeltree']);
  if (!fs.existsSync(options.image)) throw new Error(`no image at ${options.image}`);
  const names = [CLIENT_KEY_FILES.secretKey, CLIENT_KEY_FILES.publicKey, CLIENT_KEY_FILES.serverKey, IDENTITY_FILE, ROOT_FILE];
  const pairFiles = Object.fromEntries(names.map((name) => [name, fs.existsSync(path.join(options.pairDir, name)) ? fs.readFileSync(path.join(options.pairDir, name), 'utf8') : undefined]));
  const yaml = provisionFileYaml(options.file);
  const checked = checkProvisioning(yaml, pairFiles);
  if (!checked.ok) throw new Error(`the provisioning would be refused by the car: ${describeProblems(checked.problems)}`);
  const fat = `${options.image}@@${await bootOffset(options.image)}`;
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-provision-'));
  try {
    fs.writeFileSync(path.join(staging, PROVISION_FILE), yaml, { mode: 0o600 });
    const keys = path.join(staging, PAIR_DIR);
    fs.mkdirSync(keys, { mode: 0o700 });
    for (const [name, text] of Object.entries(pairFiles)) if (text !== undefined) fs.writeFileSync(path.join(keys, name), text, { mode: 0o600 });
    await runTool('mdeltree', ['-i', fat, `::/${PAIR_DIR}`]).catch(() => undefined); // absent the first time
    await runTool('mcopy', ['-i', fat, '-o', path.join(staging, PROVISION_FILE), `::/${PROVISION_FILE}`]);
    await runTool('mcopy', ['-i', fat, '-s', '-o', keys, '::/']);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
