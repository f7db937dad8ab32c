// The wallet choice of a checkout (hosted page and ckpay.js modal): Internet Identity, a
// signer wallet (OISY by default), and on a local replica a dev identity. It renders into
// `container` and reports the chosen payer; the checkout view's pay button follows it.
import { Principal } from '@icp-sdk/core/principal';
import { escapeHtml } from '../format';
import { isLocalHost } from '../ic';
import { signIn, signOut, storedIdentity } from '../identity';
import { restoredInternetIdentity, signInWithInternetIdentity, signOutOfInternetIdentity } from './internet-identity';
import { identityPayer, signerPayer, type Payer } from './payer';
import { SignerWallet } from './signer';
import type { WalletUrls } from './config';

export interface ChooserOptions {
  container: HTMLElement;
  /** The IC API host of the page (agentFor / apiHostFor). */
  host: string;
  urls: WalletUrls;
}

/** What follows the choice: the checkout view (its pay button). */
export interface PayerSink {
  setPayer(payer: Payer | undefined): void;
}

type Kind = 'ii' | 'signer' | 'dev';

/** The wallet connected on this page: a `WalletConnect` element's choice is the one the
 * ckpay.js modal and the other elements on the page open with (one signer window, one
 * Internet Identity session per page, not one per element). */
let pageWallet: { kind: Kind; payer: Payer } | undefined;

/** Fired on `window` whenever the page's wallet changes (detail: the payer or undefined). */
export const WALLET_EVENT = 'ckpay:page-wallet';

/** Connects a signer window: permissions (ICRC-25), then the account to pay from (ICRC-27). */
export async function connectSigner(url: string, name: string, onDisconnect?: () => void): Promise<Payer> {
  const wallet = await SignerWallet.open(url, onDisconnect);
  try {
    const { allPermissionsGranted } = await wallet.requestPermissionsNotGranted();
    if (!allPermissionsGranted) throw new Error(`${name} did not grant the permissions needed to pay.`);
    const accounts = await wallet.accounts();
    if (!accounts.length) throw new Error(`${name} shared no account.`);
    wallet.owner = Principal.fromText(accounts[0].owner);
    return signerPayer(wallet, name);
  } catch (e) {
    await wallet.disconnect();
    throw e;
  }
}

export class WalletChooser {
  private payer?: Payer;
  private kind?: Kind;
  private error = '';
  private sink?: PayerSink;

  constructor(private readonly o: ChooserOptions) {}

  /** Restores a dev identity or a still valid Internet Identity session, then renders. */
  async start(): Promise<void> {
    const dev = this.devAllowed() ? storedIdentity() : undefined;
    if (pageWallet) this.set(pageWallet.kind, pageWallet.payer);
    else if (dev) this.set('dev', identityPayer(dev, 'dev identity'));
    else {
      const ii = await restoredInternetIdentity(this.o.urls.ii).catch(() => undefined);
      if (ii && !ii.getPrincipal().isAnonymous()) this.set('ii', identityPayer(ii, 'Internet Identity'));
    }
    this.render();
  }

  /** The payer chosen so far (to open a view with). */
  get current(): Payer | undefined {
    return this.payer;
  }

  /** Takes the page's wallet after another chooser changed it (a modal connected a signer
   * or signed out): a `WalletConnect` element shows what the page pays from. */
  follow(): void {
    if (this.payer === pageWallet?.payer) return;
    this.kind = pageWallet?.kind;
    this.payer = pageWallet?.payer;
    this.sink?.setPayer(this.payer);
    this.render();
  }

  /** From now on the view's pay button follows the choice. */
  attach(sink: PayerSink): void {
    this.sink = sink;
  }

  private devAllowed(): boolean {
    return isLocalHost(new URL(this.o.host).hostname);
  }

  private set(kind: Kind | undefined, payer: Payer | undefined): void {
    this.kind = kind;
    this.payer = payer;
    this.sink?.setPayer(payer);
    if (pageWallet?.payer !== payer) {
      pageWallet = kind && payer ? { kind, payer } : undefined;
      window.dispatchEvent(new CustomEvent(WALLET_EVENT, { detail: payer }));
    }
  }

  private render(): void {
    const c = this.o.container;
    const name = escapeHtml(this.o.urls.signerName);
    c.innerHTML = this.payer
      ? `<span data-wallet-kind="${this.kind}">${escapeHtml(this.payer.label)}:</span>
         <code data-wallet-principal>${this.payer.principal.toText()}</code>
         <button data-wallet-signout>Sign out</button>`
      : `<span>Pay from</span>
         <button data-wallet-ii>Internet Identity</button>
         <button data-wallet-signer>${name} wallet (ICRC signer)</button>
         ${this.devAllowed() ? '<button data-wallet-signin>Sign in to pay with ICRC-2</button>' : ''}
         <div class="ckpay-wallet-error" data-wallet-error${this.error ? '' : ' hidden'}>${escapeHtml(this.error)}</div>`;
    const on = (sel: string, fn: () => Promise<void> | void) =>
      c.querySelector<HTMLButtonElement>(sel)?.addEventListener('click', async (ev) => {
        const button = ev.currentTarget as HTMLButtonElement;
        button.disabled = true;
        this.error = '';
        try {
          await fn();
        } catch (e) {
          this.error = (e as Error).message;
        }
        this.render();
      });
    on('[data-wallet-ii]', async () => {
      const identity = await signInWithInternetIdentity(this.o.urls.ii);
      this.set('ii', identityPayer(identity, 'Internet Identity'));
    });
    on('[data-wallet-signer]', async () => {
      const payer = await connectSigner(this.o.urls.signer, this.o.urls.signerName, () => {
        // the customer closed the wallet's window: nothing signs for this payer any more
        if (this.kind === 'signer') { this.set(undefined, undefined); this.render(); }
      });
      this.set('signer', payer);
    });
    on('[data-wallet-signin]', () => this.set('dev', identityPayer(signIn(), 'dev identity')));
    on('[data-wallet-signout]', async () => {
      if (this.kind === 'dev') signOut();
      if (this.kind === 'ii') await signOutOfInternetIdentity(this.o.urls.ii);
      await this.payer?.disconnect?.();
      this.set(undefined, undefined);
    });
  }
}
