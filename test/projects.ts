/**
 * Which vitest project runs which test file: by place and by name, so a new file needs no list edit.
 *   e2e          test/e2e/**, *.e2e.test.ts              Chromium against the real server
 *   hil          test/hil/**                             a real kernel under QEMU
 *   integration  test/integration/**, *.integration.test.ts   real sockets, child processes, netns
 *   unit         every other *.test.ts                   pure logic: no processes, no sockets
 * vitest.config.ts builds its projects from these globs; test/architecture/test-projects.test.ts
 * checks that every test file lands in exactly one project.
 */
export const TEST_FILES = '**/*.test.ts';

/** Never test files: dependencies, build output, run data. */
export const NOT_TEST_FILES = ['node_modules/**', '**/node_modules/**', 'dashboard/dist/**', 'data/**', '.scratch/**'];

export const PROJECT_GLOBS = {
  e2e: ['test/e2e/**/*.test.ts', '**/*.e2e.test.ts'],
  hil: ['test/hil/**/*.test.ts'],
  integration: ['test/integration/**/*.test.ts', '**/*.integration.test.ts'],
} as const;

export type ProjectName = 'unit' | keyof typeof PROJECT_GLOBS;

export interface ProjectFiles {
  include: string[];
  exclude: string[];
}

/** The include and exclude globs of each project; unit is what the others leave. */
export function projectFiles(): Record<ProjectName, ProjectFiles> {
  const others = Object.values(PROJECT_GLOBS).flat();
  return {
    unit: { include: [TEST_FILES], exclude: [...NOT_TEST_FILES, ...others] },
    integration: { include: [...PROJECT_GLOBS.integration], exclude: [...NOT_TEST_FILES, ...PROJECT_GLOBS.e2e, ...PROJECT_GLOBS.hil] },
    e2e: { include: [...PROJECT_GLOBS.e2e], exclude: [...NOT_TEST_FILES, ...PROJECT_GLOBS.hil] },
    hil: { include: [...PROJECT_GLOBS.hil], exclude: [...NOT_TEST_FILES] },
  };
}
