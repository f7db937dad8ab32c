/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The factory canister id, exported by `localnet deploy` / dfx to build commands. */
  readonly CANISTER_ID_PAYMENT_BACKEND?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
