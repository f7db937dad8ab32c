// The local signer wallet of the browser tests (web/test-wallet): built into
// dist/test-wallet, served by the test from 127.0.0.1, never deployed.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: resolve(__dirname, 'test-wallet'),
  base: './',
  build: { outDir: resolve(__dirname, 'dist', 'test-wallet'), emptyOutDir: true, target: 'es2022' },
});
