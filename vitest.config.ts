import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Dashboard component tests import .vue files.
  plugins: [vue()],
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dashboard/dist/**', 'data/**', '.scratch/**'],
    // Real sockets and processes: give each test room on a loaded 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
