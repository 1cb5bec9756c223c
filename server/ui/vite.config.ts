import { defineConfig } from 'vite';

// Preact's JSX through esbuild's automatic runtime: no framework plugin needed. The dev server
// proxies the API and the events socket to a boot server on its default port.
export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', modulePreload: { polyfill: false } },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } } },
});
