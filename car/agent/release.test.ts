import { describe, expect, it } from 'vitest';
import { bytesToDownload, changedServices, diffReleases, isModelOnly, releaseBlobs } from './release.ts';
import { V1, V2_CONSTRAINED, V2_HANDOVER, V2_MODEL_ONLY } from '../../test/support/agent-fixtures.ts';

describe('release diff', () => {
  it('names the services whose files changed, added and removed ones, and the model', () => {
    expect(changedServices(V1, V2_HANDOVER)).toEqual(['actuator', 'pilot']);
    const { uplink: _uplink, ...rest } = V1.services;
    const next = { ...V1, version: 2, services: { ...rest, lights: V1.services.uplink! } };
    expect(diffReleases(V1, next)).toEqual({ changed: ['lights'], removed: ['uplink'], modelChanged: false });
    expect(changedServices(undefined, V1)).toEqual(['actuator', 'camera', 'pilot', 'uplink']);
  });

  it('tells a model-only release apart', () => {
    expect(isModelOnly(V1, V2_MODEL_ONLY)).toBe(true);
    expect(isModelOnly(V1, V2_HANDOVER)).toBe(false);
    expect(isModelOnly(V1, V2_CONSTRAINED)).toBe(false);
  });

  it('counts only the bytes of blobs the car lacks', () => {
    const camera = V2_CONSTRAINED.services.camera!.files[0]!;
    const uplink = V2_CONSTRAINED.services.uplink!.files[0]!;
    expect(bytesToDownload(V1, V2_CONSTRAINED, new Set())).toBe(camera.length + uplink.length);
    expect(bytesToDownload(V1, V2_CONSTRAINED, new Set([camera.sha256]))).toBe(uplink.length);
    expect(bytesToDownload(V1, V1, new Set())).toBe(0);
  });

  it('lists a blob shared by two services once', () => {
    const shared = V1.services.pilot!.files[0]!;
    const release = { ...V1, services: { a: { ...V1.services.pilot!, files: [shared] }, b: { ...V1.services.pilot!, files: [shared] } } };
    expect(releaseBlobs(release, ['a', 'b'], false)).toEqual([shared]);
  });
});
