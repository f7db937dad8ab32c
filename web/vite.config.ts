// The page apps, one per asset canister: `vite build --mode checkout` (hosted checkout page;
// ckpay.js is added to the same output by vite.embed.config.ts), `vite build --mode builder`
// (modal builder) and `vite build --mode dashboard` (merchant dashboard). Canister ids of the
// project come from the CANISTER_ID_* variables that `localnet deploy` / dfx export to build
// commands (dfx also writes them to ../.env); pages also take them from URL parameters.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const APPS = ['checkout', 'builder', 'dashboard'];

export default defineConfig(({ mode }) => {
  if (!APPS.includes(mode)) {
    throw new Error(`vite --mode must be one of ${APPS.join(', ')} (got ${mode})`);
  }
  return {
    root: resolve(__dirname, 'apps', mode),
    base: '/',
    envDir: resolve(__dirname, '..'),
    envPrefix: ['VITE_', 'CANISTER_ID_', 'DFX_NETWORK'],
    build: {
      outDir: resolve(__dirname, 'dist', mode),
      emptyOutDir: true,
      target: 'es2022',
    },
  };
});
