import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The dashboard: a static single-page app the api serves from dist/apps/dashboard
 * (SILO_DASHBOARD_DIR). `root` is fixed here so that the build behaves the same whether it is
 * started as `vite build apps/dashboard` or through vite's JS API from tools/build/build.mjs.
 */
const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../../dist/apps/dashboard', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: true })],
  logLevel: 'warn',
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 300,
  },
  server: {
    port: 5173,
    proxy: {
      // the api at :7070 in development (`npm start`); SSE and NDJSON streams pass through
      '/api': { target: process.env['SILO_API_URL'] ?? 'http://127.0.0.1:7070', changeOrigin: true },
    },
  },
});
