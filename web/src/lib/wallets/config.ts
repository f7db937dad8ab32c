// Where the wallets live. Each URL comes from the mount element (ckpay.js) or, on a local
// replica, the hosted page's query (`?ii=`, `?signer=`), else from the build (`VITE_II_URL`,
// `VITE_SIGNER_URL`), else mainnet's: Internet Identity's authorize endpoint that
// @icp-sdk/auth 7 talks to (ICRC-29/34 over postMessage) and OISY's signer page.
import { isLocalHost } from '../ic';

export const DEFAULT_II_URL = 'https://id.ai/authorize';
export const DEFAULT_SIGNER_URL = 'https://oisy.com/sign';

export interface WalletUrls {
  ii: string;
  signer: string;
  /** The signer's name shown on the button ("OISY" unless `?signer_name=`). */
  signerName: string;
}

/** The wallet URLs for a page. ckpay.js: the mount element's `data-ii-url` /
 * `data-signer-url` / `data-signer-name` (the merchant's own page sets them). The hosted
 * page: its query, but only on a local replica (a link to a real checkout must not be able
 * to send customers to a wallet window of its choosing). Then the build's, then mainnet's. */
export function walletUrls(params: URLSearchParams, el?: HTMLElement): WalletUrls {
  const env = import.meta.env as Record<string, string | undefined>;
  const query = isLocalHost(window.location.hostname) ? params : new URLSearchParams();
  return {
    ii: el?.dataset.iiUrl ?? query.get('ii') ?? env.VITE_II_URL ?? DEFAULT_II_URL,
    signer: el?.dataset.signerUrl ?? query.get('signer') ?? env.VITE_SIGNER_URL ?? DEFAULT_SIGNER_URL,
    signerName: el?.dataset.signerName ?? query.get('signer_name') ?? env.VITE_SIGNER_NAME ?? 'OISY',
  };
}
