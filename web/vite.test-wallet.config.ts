// The local wallets of the browser tests (web/test-wallet): a signer wallet (index.html) and
// an identity provider speaking Internet Identity's protocol (ii.html), built into
// dist/test-wallet, served by the test from 127.0.0.1, never deployed.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: resolve(__dirname, 'test-wallet'),
  base: './',
  build: {
    outDir: resolve(__dirname, 'dist', 'test-wallet'), emptyOutDir: true, target: 'es2022',
    rollupOptions: {
      input: { wallet: resolve(__dirname, 'test-wallet', 'index.html'), ii: resolve(__dirname, 'test-wallet', 'ii.html') },
    },
  },
});
