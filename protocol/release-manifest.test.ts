import { describe, expect, it } from 'vitest';
import { checkManifest, ManifestError, parseManifest, serializeManifest, type ReleaseManifest } from './release-manifest.ts';

const file = (sha: string, path = 'service.js') => ({ path, target: `services/x/${path}`, sha256: sha.repeat(64), length: 3 });
const manifest: ReleaseManifest = {
  schema: 1,
  version: 4,
  label: 'test',
  createdAt: '2025-01-01T00:00:00.000Z',
  services: {
    pilot: { entry: 'service.js', files: [file('a')], strategy: 'handover', needsHardware: false, externals: ['sharp'] },
    camera: { entry: 'service.js', files: [file('a')], strategy: 'kill-then-download', needsHardware: true, externals: [] },
  },
  model: { name: 'pilot-v2', files: [file('b', 'model.json')] },
};

describe('release manifest', () => {
  it('round-trips', () => {
    expect(parseManifest(serializeManifest(manifest))).toEqual(manifest);
  });

  it('rejects malformed manifests naming what is wrong', () => {
    expect(() => parseManifest('{not json')).toThrow(/not JSON/);
    expect(() => parseManifest(JSON.stringify({ ...manifest, version: 0 }))).toThrow(/invalid at \/version/);
    const badStrategy = { ...manifest, services: { pilot: { ...manifest.services['pilot'], strategy: 'yolo' } } };
    expect(() => parseManifest(JSON.stringify(badStrategy))).toThrow(/invalid at \/services\/pilot\/strategy/);
    const badHash = { ...manifest, model: { name: 'm', files: [{ ...file('b'), sha256: 'xyz' }] } };
    expect(() => parseManifest(JSON.stringify(badHash))).toThrow(/\/model\/files\/0\/sha256/);
  });

  // what the car's agent refuses before it writes anything (it installs the files by these paths)
  it.each([
    [null, /invalid at \//],
    [{ ...manifest, services: { pilot: { ...manifest.services['pilot']!, files: [file('a', '../etc/passwd')] } } }, /\/services\/pilot\/files\/0\/path/],
    [{ ...manifest, services: { pilot: { ...manifest.services['pilot']!, files: [file('a', 'lib/../../x')] } } }, /\/services\/pilot\/files\/0\/path/],
    [{ ...manifest, services: { pilot: { ...manifest.services['pilot']!, files: [file('a', '/etc/passwd')] } } }, /\/services\/pilot\/files\/0\/path/],
    [{ ...manifest, services: { pilot: { ...manifest.services['pilot']!, files: [file('a'), file('b')] } } }, /\/services\/pilot\/files\/1\/path: 'service.js' is listed twice/],
    [{ ...manifest, services: { Pilot: manifest.services['pilot']! } }, /\/services\/Pilot/],
    [{ ...manifest, services: { pilot: { ...manifest.services['pilot']!, strategy: 'hand-over' } } }, /\/services\/pilot\/strategy/],
    [{ ...manifest, model: { name: 'm', files: [] } }, /\/model\/files/],
  ])('refuses %j, naming the field', (value, message) => {
    expect(() => checkManifest(value)).toThrow(ManifestError);
    expect(() => checkManifest(value)).toThrow(message);
  });

  it('accepts a file in a subdirectory whose name merely contains dots', () => {
    const dotted = { ...manifest, services: { pilot: { ...manifest.services['pilot']!, files: [file('a', 'tracks/..default.json'), file('c', 'a..b/x.js')] } } };
    expect(checkManifest(dotted).services['pilot']!.files.map((f) => f.path)).toEqual(['tracks/..default.json', 'a..b/x.js']);
  });
});
