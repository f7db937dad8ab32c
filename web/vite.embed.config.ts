// ckpay.js, the framework-free embed script: one IIFE file (no module loader needed on the
// merchant's page), written as /ckpay/<version>/ckpay.js into the checkout asset canister's
// output, whose URL is registered in the factory's component registry.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { CKPAY_VERSION } from './src/embed/version';

export default defineConfig({
  build: {
    outDir: resolve(__dirname, 'dist', 'checkout', 'ckpay', CKPAY_VERSION),
    emptyOutDir: true,
    target: 'es2020',
    lib: {
      entry: resolve(__dirname, 'src', 'embed', 'ckpay.ts'),
      name: 'CkPay',
      formats: ['iife'],
      fileName: () => 'ckpay.js',
    },
  },
});
