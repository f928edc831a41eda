/**
 * The OS code-signing keys the image tests and CI use (never a real fleet's): a test CA, whose
 * certificate is the test images' RAUC keyring, and a signing certificate it issued; and a foreign
 * pair (another CA) whose bundles those images must refuse. Made once with deploy's createOsKeys
 * under data/cache/hil/ and reused by every later run and process.
 *
 * As a script it prints the test CA's certificate path (`.ci/run` passes it to the image prebuild):
 *   node --import tsx test/hil/image/test-os-keys.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { createOsKeys, hasOsKeys, osKeyFiles, type OsKeyFiles } from '../../../deploy/index.ts';
import { isMainModule } from '../../../launcher/command-line.ts';
import { HIL_CACHE } from '../kernel.ts';

export const TEST_OS_KEYS_DIR = path.join(HIL_CACHE, 'os-keys');
export const FOREIGN_TEST_OS_KEYS_DIR = path.join(HIL_CACHE, 'os-keys-foreign');

/**
 * The keys in `keysDir`, made when missing: in a folder of this process's own, renamed into place
 * when whole, so two processes starting at once never see half a key set (the later one's is dropped).
 */
async function keysIn(keysDir: string, caName: string): Promise<OsKeyFiles> {
  if (hasOsKeys(keysDir)) return osKeyFiles(keysDir);
  const temp = `${keysDir}.tmp-${process.pid}`;
  fs.rmSync(temp, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(keysDir), { recursive: true });
  try {
    await createOsKeys(temp, { caName });
    if (!hasOsKeys(keysDir)) {
      // a half folder left by a killed run is replaced
      fs.rmSync(keysDir, { recursive: true, force: true });
      try {
        fs.renameSync(temp, keysDir);
      } catch (error) {
        if (!hasOsKeys(keysDir)) throw error;
      }
    }
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
  return osKeyFiles(keysDir);
}

/** The test CA and its signing certificate (the test images' keyring is `caCert`). */
export function testOsKeys(): Promise<OsKeyFiles> {
  return keysIn(TEST_OS_KEYS_DIR, 'edge car OS test CA');
}

/** Another CA's keys: a bundle signed with them is refused by the test images. */
export function foreignTestOsKeys(): Promise<OsKeyFiles> {
  return keysIn(FOREIGN_TEST_OS_KEYS_DIR, 'foreign OS test CA');
}

if (isMainModule(import.meta.url)) {
  process.stdout.write(`${(await testOsKeys()).caCert}\n`);
}
