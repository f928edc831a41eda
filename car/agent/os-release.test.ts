import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { osReleaseText } from '../../image/os-files.ts';
import { parseOsRelease, readOsVersion } from './os-release.ts';

describe("the car OS's version", () => {
  it('reads what the image writes', () => {
    const text = osReleaseText({ version: '0.1.0-1a2b3c4d', target: 'rpi-arm64', nodeVersion: '24.22.3', builtAt: '2026-12-07T00:00:00Z' });
    expect(parseOsRelease(text)).toEqual({ version: '0.1.0-1a2b3c4d', target: 'rpi-arm64' });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'edge-os-')), 'edge-os-release');
    fs.writeFileSync(file, text);
    expect(readOsVersion(file)).toBe('0.1.0-1a2b3c4d');
  });

  it('reports nothing without the file, or when the version is not a short plain string', () => {
    expect(readOsVersion('/nonexistent/edge-os-release')).toBeUndefined();
    expect(parseOsRelease('EDGE_OS_VERSION=<script>\n')).toBeUndefined();
    expect(parseOsRelease(`EDGE_OS_VERSION=${'9'.repeat(65)}\n`)).toBeUndefined();
  });
});
