/**
 * Every test file runs in exactly one vitest project (unit, integration, e2e, hil), as
 * vitest.config.ts defines them: none left out of `npm test`, none run twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createFilter } from 'vite';
import { describe, expect, it } from 'vitest';
import config from '../../vitest.config.ts';
import { ROOT } from '../support/platform.ts';

interface ProjectConfig {
  test: { name: string; include: string[]; exclude: string[]; setupFiles?: string[] };
}

const projects = (config.test?.projects ?? []) as unknown as ProjectConfig[];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'data', 'coverage']);

function testFiles(dir = ''): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name) ? [] : testFiles(relative);
    return entry.name.endsWith('.test.ts') ? [relative] : [];
  });
}

function projectsOf(file: string): string[] {
  return projects.filter((p) => createFilter(p.test.include, p.test.exclude, { resolve: false })(file)).map((p) => p.test.name);
}

describe('vitest projects', () => {
  it('are unit, integration, e2e and hil, and unit runs the guard', () => {
    expect(projects.map((p) => p.test.name)).toEqual(['unit', 'integration', 'e2e', 'hil']);
    expect(projects[0]!.test.setupFiles).toEqual(['test/support/unit-guard.ts']);
  });

  it('hold every test file exactly once', () => {
    const files = testFiles();
    expect(files.length).toBeGreaterThan(100);
    const wrong = files.map((file) => ({ file, projects: projectsOf(file) })).filter((f) => f.projects.length !== 1);
    expect(wrong).toEqual([]);
  });

  it('place files by folder and by name', () => {
    expect(projectsOf('car/uplink/control-lanes.test.ts')).toEqual(['unit']);
    expect(projectsOf('nuc/server/app.integration.test.ts')).toEqual(['integration']);
    expect(projectsOf('test/integration/bus.test.ts')).toEqual(['integration']);
    expect(projectsOf('test/e2e/driver.test.ts')).toEqual(['e2e']);
    expect(projectsOf('nuc/track/overlay.e2e.test.ts')).toEqual(['e2e']);
    expect(projectsOf('test/hil/wheel.test.ts')).toEqual(['hil']);
    expect(projectsOf('test/hil/guest/uhid.test.ts')).toEqual(['hil']);
    expect(projectsOf('node_modules/x/a.test.ts')).toEqual([]);
  });
});
