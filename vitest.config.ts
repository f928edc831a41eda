import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';
import { projectFiles } from './test/projects.ts';

const files = projectFiles();

export default defineConfig({
  // Dashboard component tests import .vue files.
  plugins: [vue()],
  test: {
    // Real sockets and processes: give each test room on a loaded 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // Which to run when: README, "Tests". Which file is in which project: test/projects.ts.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          ...files.unit,
          // A unit test that spawns or opens a socket fails, naming where it belongs.
          setupFiles: ['test/support/unit-guard.ts'],
          isolate: false,
        },
      },
      { extends: true, test: { name: 'integration', ...files.integration } },
      { extends: true, test: { name: 'e2e', ...files.e2e } },
      { extends: true, test: { name: 'hil', ...files.hil } },
    ],
  },
});
