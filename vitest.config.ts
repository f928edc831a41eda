import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';
import { projectFiles } from './test/projects.ts';
import { LongBuildsLast } from './test/support/sequencer.ts';

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
    // the arm64 image test last: it waits for the image .ci/run builds in the background
    sequence: { sequencer: LongBuildsLast },
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
      // A browser file runs a whole platform (NUC, simulated cars rendering their cameras in real time)
      // and Chromium; a HIL file boots a QEMU guest under TCG. Either needs the two cores to itself:
      // beside another, a simulated race falls behind real time and a guest's timing goes. So they run
      // after the rest, one file at a time (one guest at a time).
      { extends: true, test: { name: 'e2e', ...files.e2e, maxWorkers: 1, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'hil', ...files.hil, maxWorkers: 1, sequence: { groupOrder: 2 } } },
    ],
  },
});
