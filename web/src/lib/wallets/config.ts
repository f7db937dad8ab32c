// Where the wallets live. Each URL comes from the page's query (`?ii=`, `?signer=`), else
// from the build (`VITE_II_URL`, `VITE_SIGNER_URL`), else mainnet's: Internet Identity's
// authorize endpoint that @icp-sdk/auth 7 talks to (ICRC-29/34 over postMessage) and OISY's
// signer page.
export const DEFAULT_II_URL = 'https://id.ai/authorize';
export const DEFAULT_SIGNER_URL = 'https://oisy.com/sign';

export interface WalletUrls {
  ii: string;
  signer: string;
  /** The signer's name shown on the button ("OISY" unless `?signer_name=`). */
  signerName: string;
}

/** The wallet URLs for a page (`params`: the hosted page's query; for ckpay.js the mount
 * element's `data-ii-url` / `data-signer-url` / `data-signer-name` go first). */
export function walletUrls(params: URLSearchParams, el?: HTMLElement): WalletUrls {
  const env = import.meta.env as Record<string, string | undefined>;
  return {
    ii: el?.dataset.iiUrl ?? params.get('ii') ?? env.VITE_II_URL ?? DEFAULT_II_URL,
    signer: el?.dataset.signerUrl ?? params.get('signer') ?? env.VITE_SIGNER_URL ?? DEFAULT_SIGNER_URL,
    signerName: el?.dataset.signerName ?? params.get('signer_name') ?? env.VITE_SIGNER_NAME ?? 'OISY',
  };
}
