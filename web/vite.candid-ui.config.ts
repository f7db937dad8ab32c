// localnet's Candid UI app: one ES module, committed as localnet/candid_ui/candid_ui.js so a
// localnet serves it without Node (`npm run candid-ui` rebuilds it; tests/web/test_candid_ui.py
// checks the committed file is this build's).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: process.env.CANDID_UI_OUT || resolve(__dirname, '..', 'localnet', 'candid_ui'),
    emptyOutDir: false,
    target: 'es2022',
    minify: true,
    lib: {
      entry: resolve(__dirname, 'src', 'candid-ui', 'main.ts'),
      formats: ['es'],
      fileName: () => 'candid_ui.js',
    },
  },
});
