/** The dashboard build: `npm run build` (vite build --config dashboard/vite.config.ts) writes dashboard/dist. */
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const nuc = process.env.EDGE_DASHBOARD_API ?? 'http://localhost:8080';

export default defineConfig({
  root,
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  // `npx vite --config dashboard/vite.config.ts` during development talks to a running NUC.
  server: {
    proxy: {
      '/api': nuc,
      '/metrics': nuc,
      '/socket.io': { target: nuc, ws: true },
    },
  },
});
