// The checkout modal component: a themed pay button that opens the checkout in an overlay.
import type { ModalConfig } from '../generated/user_payment_canister.idl';
import { CheckoutView } from '../lib/checkout-view';
import { merchantActor, unwrap } from '../lib/ic';
import { WalletChooser } from '../lib/wallets/chooser';
import { walletUrls } from '../lib/wallets/config';
import { CHECKOUT_CSS } from '../lib/styles';
import { cssBlock, themeVariables } from '../lib/theme';
import { escapeHtml } from '../lib/format';

export interface EmbedContext {
  host: string;
}

/** The session to pay: `data-session-id`, else one the merchant's server creates at
 * `data-session-url` or the page's `<meta name="ckpay-session-url">` (so the generated
 * snippet is pasted unchanged): POST with the component's ids, answers
 * `{"session_id": "..."}`. The merchant's server holds the canister identity that may
 * create sessions; the browser never does. */
export async function sessionFor(el: HTMLElement, extra: Record<string, string> = {}): Promise<string> {
  if (el.dataset.sessionId) return el.dataset.sessionId;
  const url = el.dataset.sessionUrl
    ?? document.querySelector<HTMLMetaElement>('meta[name="ckpay-session-url"]')?.content;
  if (!url) throw new Error('no checkout session: add data-session-id / data-session-url to the element or <meta name="ckpay-session-url"> to the page');
  const body = {
    modal_id: el.dataset.modalId ?? null, element_id: el.dataset.elementId ?? null,
    amount: el.dataset.amount ?? null, token: selectedToken() ?? el.dataset.token ?? null, ...extra,
  };
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`the shop could not start a checkout (${res.status})`);
  const data = await res.json() as { session_id?: unknown };
  if (typeof data.session_id !== 'string') throw new Error('the shop answered no session_id');
  return data.session_id;
}

/** The token a TokenSelector element on the page has selected, if any. */
export function selectedToken(): string | undefined {
  return document.querySelector<HTMLElement>('[data-element-type="TokenSelector"][data-selected-token]')?.dataset.selectedToken;
}

export async function mountModal(el: HTMLElement, ctx: EmbedContext): Promise<void> {
  const canisterId = required(el, 'canisterId');
  const modalId = required(el, 'modalId');
  const merchant = await merchantActor(canisterId, ctx.host);
  const config = unwrap(await merchant.get_modal_config(modalId));
  const shadow = el.shadowRoot ?? el.attachShadow({ mode: 'open' });
  if (!config.is_active) {
    shadow.innerHTML = '';
    return;
  }
  shadow.innerHTML = `<style>${CHECKOUT_CSS}${cssBlock(':host', themeVariables(config.theme, config.branding))}</style>
    <button class="ckpay-btn" part="button" data-ckpay-open>${escapeHtml(config.branding.button_text)}</button>
    <div class="ckpay-status-line ckpay-error" part="error" hidden></div>`;
  merchant.track_modal_view(modalId).catch(() => undefined); // analytics never blocks paying
  el.dataset.ckpayReady = 'true';
  const button = shadow.querySelector<HTMLButtonElement>('[data-ckpay-open]')!;
  button.addEventListener('click', async () => {
    button.disabled = true;
    const line = shadow.querySelector<HTMLElement>('.ckpay-error')!;
    line.hidden = true;
    try {
      const sessionId = await sessionFor(el);
      await openCheckout(shadow, { ...ctx, source: el }, canisterId, sessionId, modalId, config);
    } catch (e) {
      line.hidden = false;
      line.textContent = (e as Error).message;
    } finally {
      button.disabled = false;
    }
  });
}

/** Opens the checkout overlay for a session inside `parent` (a shadow root or the body). */
export async function openCheckout(parent: ShadowRoot | HTMLElement, ctx: EmbedContext & { source?: HTMLElement },
                                   canisterId: string, sessionId: string, modalId?: string,
                                   config?: ModalConfig, onPaid?: () => void): Promise<void> {
  let modal = config;
  if (!modal && modalId) {
    const res = await (await merchantActor(canisterId, ctx.host)).get_modal_config(modalId);
    if ('Ok' in res) modal = res.Ok;
  }
  const overlay = document.createElement('div');
  overlay.className = 'ckpay-overlay';
  overlay.setAttribute('role', 'dialog');
  overlay.setAttribute('aria-modal', 'true');
  overlay.dataset.ckpayOverlay = '';
  if (!(parent instanceof ShadowRoot)) {
    const style = document.createElement('style');
    style.textContent = CHECKOUT_CSS;
    overlay.appendChild(style);
  }
  const stack = document.createElement('div');
  stack.className = 'ckpay-stack';
  const body = document.createElement('div');
  body.style.width = '100%';
  // how the visitor pays by ICRC-2: Internet Identity, a signer wallet, a local dev identity
  const wallets = document.createElement('div');
  wallets.className = 'ckpay-wallets';
  wallets.dataset.ckpayWallets = '';
  stack.append(body, wallets);
  overlay.appendChild(stack);
  const close = document.createElement('button');
  close.className = 'ckpay-close';
  close.setAttribute('aria-label', 'Close');
  close.textContent = '×';
  parent.appendChild(overlay);
  const source = ctx.source ?? (parent instanceof ShadowRoot ? parent.host as HTMLElement : undefined);
  const redirect = source?.dataset.redirect !== 'false';
  const chooser = new WalletChooser({ container: wallets, host: ctx.host, urls: walletUrls(new URLSearchParams(), source) });
  body.addEventListener('ckpay:final', () => { wallets.hidden = true; });
  await chooser.start();
  const view = new CheckoutView({
    root: body, host: ctx.host, merchantId: canisterId, sessionId, modal,
    themeOnHost: parent instanceof ShadowRoot,
    factoryId: source?.dataset.factoryId, payer: chooser.current,
    redirectDelayMs: redirect ? Number(source?.dataset.redirectMs ?? 2500) : undefined,
    onPaid: (session) => {
      onPaid?.();
      source?.dispatchEvent(new CustomEvent('ckpay:paid', {
        bubbles: true, composed: true,
        detail: { session_id: session.session_id, amount: session.amount.toString(), token: session.currency_token },
      }));
    },
  });
  chooser.attach(view);
  const shut = () => { view.stop(); overlay.remove(); source?.dispatchEvent(new CustomEvent('ckpay:closed', { bubbles: true, composed: true })); };
  overlay.addEventListener('click', (ev) => { if (ev.target === overlay) shut(); });
  close.addEventListener('click', shut);
  await view.start();
  body.querySelector('.ckpay-card')?.appendChild(close);
  // the view re-renders its card: keep the close button on every state
  new MutationObserver(() => {
    const card = body.querySelector('.ckpay-card');
    if (card && !card.contains(close)) card.appendChild(close);
  }).observe(body, { childList: true });
}

export function required(el: HTMLElement, name: 'canisterId' | 'modalId' | 'elementId'): string {
  const value = el.dataset[name];
  if (!value) throw new Error(`the mount element needs data-${name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`);
  return value;
}
