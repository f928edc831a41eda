/**
 * The car OS's code-signing keys (RAUC's CMS signature), apart from the TUF keys: an offline CA whose
 * certificate is the image's RAUC keyring (it decides what content a car accepts), and a code-signing
 * certificate it issued, with which `npm run image -- bundle` signs bundles. Both live in
 * `<keys>/offline/` beside the TUF root key and never go to the car or the NUC's served folders; the
 * NUC's online TUF keys only decide what a car is told to install, so a stolen NUC cannot make a car
 * accept an OS this CA did not sign. Made with openssl(1): X.509 with the extensions RAUC checks
 * (`check-purpose=codesign`: extendedKeyUsage codeSigning).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OsKeyFiles {
  /** the offline CA's certificate: the image's RAUC keyring */
  caCert: string;
  /** the offline CA's private key: issues signing certificates, nothing else */
  caKey: string;
  /** the code-signing certificate bundles are signed with (issued by the CA) */
  signingCert: string;
  signingKey: string;
}

export function osKeyFiles(keysDir: string): OsKeyFiles {
  const offline = path.join(keysDir, 'offline');
  return {
    caCert: path.join(offline, 'os-ca.cert.pem'),
    caKey: path.join(offline, 'os-ca.key.pem'),
    signingCert: path.join(offline, 'os-signing.cert.pem'),
    signingKey: path.join(offline, 'os-signing.key.pem'),
  };
}

/**
 * A copy of the CA's certificate (public) beside the online keys: what `deploy publish os` checks
 * bundles with once the offline folder has left the NUC. Only that check reads it; each car checks
 * bundles with the keyring in its own image.
 */
export function osKeyringCopy(keysDir: string): string {
  return path.join(keysDir, 'os-ca.cert.pem');
}

export function hasOsKeys(keysDir: string): boolean {
  return Object.values(osKeyFiles(keysDir)).every((file) => fs.existsSync(file));
}

export interface OsKeyOptions {
  /** the CA's subject CN, e.g. "edge car OS CA"; tests name a foreign one */
  caName?: string;
  /** certificate lifetime */
  days?: number;
}

/**
 * Creates the CA and a signing certificate in `<keysDir>/offline/` (keys 0600). Refuses to replace
 * any of them: a new CA would make every car refuse the bundles signed by the old one.
 */
export async function createOsKeys(keysDir: string, options: OsKeyOptions = {}): Promise<OsKeyFiles> {
  const files = osKeyFiles(keysDir);
  const present = Object.values(files).filter((file) => fs.existsSync(file));
  if (present.length > 0) throw new Error(`refusing to replace the OS code-signing keys (${present.map((f) => path.basename(f)).join(', ')} in ${path.dirname(files.caCert)}): cars trust the CA that is there`);
  fs.mkdirSync(path.dirname(files.caCert), { recursive: true, mode: 0o700 });
  const days = String(options.days ?? 3650);
  const caName = options.caName ?? 'edge car OS CA';
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-os-keys-'));
  try {
    const caExt = path.join(work, 'ca.ext');
    const signExt = path.join(work, 'sign.ext');
    fs.writeFileSync(caExt, ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash', ''].join('\n'));
    fs.writeFileSync(signExt, ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=critical,codeSigning', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid', ''].join('\n'));
    const tmp = (name: string): string => path.join(work, name);
    const ecKey = ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    await run('openssl', [...ecKey, '-out', tmp('ca.key')]);
    await run('openssl', ['req', '-new', '-x509', '-key', tmp('ca.key'), '-subj', `/CN=${caName}`, '-days', days, '-sha256', '-extensions', 'v3', '-config', configWith(work, caExt), '-out', tmp('ca.pem')]);
    await run('openssl', [...ecKey, '-out', tmp('sign.key')]);
    await run('openssl', ['req', '-new', '-key', tmp('sign.key'), '-subj', `/CN=${caName} code signing`, '-out', tmp('sign.csr')]);
    await run('openssl', ['x509', '-req', '-in', tmp('sign.csr'), '-CA', tmp('ca.pem'), '-CAkey', tmp('ca.key'), '-CAcreateserial', '-days', days, '-sha256', '-extfile', signExt, '-out', tmp('sign.pem')]);
    const place = (from: string, to: string, mode: number): void => {
      fs.copyFileSync(tmp(from), to);
      fs.chmodSync(to, mode);
    };
    place('ca.key', files.caKey, 0o600);
    place('sign.key', files.signingKey, 0o600);
    place('ca.pem', files.caCert, 0o644);
    place('sign.pem', files.signingCert, 0o644);
    return files;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    throw new Error(`openssl could not make the OS code-signing keys: ${stderr?.trim() || (error as Error).message}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** `openssl req -x509` reads its extensions from a config section. */
function configWith(work: string, extFile: string): string {
  const config = path.join(work, 'req.cnf');
  fs.writeFileSync(config, ['[req]', 'distinguished_name=dn', '[dn]', '[v3]', fs.readFileSync(extFile, 'utf8')].join('\n'));
  return config;
}
