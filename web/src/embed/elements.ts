// Crypto Elements: PaymentButton, TokenSelector, PriceDisplay, CheckoutForm, WalletConnect.
// Each reads its ElementConfiguration (theme overrides, branding, validation rules) from the
// merchant canister and reports `render` / `click` / `success` / `error` interactions.
import type { ElementConfiguration } from '../generated/user_payment_canister.idl';
import { CheckoutView } from '../lib/checkout-view';
import { escapeHtml, formatUnits } from '../lib/format';
import { merchantActor, unwrap, type Merchant } from '../lib/ic';
import { WALLET_EVENT, WalletChooser } from '../lib/wallets/chooser';
import { walletUrls } from '../lib/wallets/config';
import { CHECKOUT_CSS } from '../lib/styles';
import { cssBlock, overrideVariables } from '../lib/theme';
import { openCheckout, required, sessionFor, type EmbedContext } from './modal';

type Interaction = 'render' | 'click' | 'success' | 'error';

function rule(config: ElementConfiguration, key: string): string | undefined {
  return config.validation_rules.find((r) => r.key === key)?.value;
}

export async function mountElement(el: HTMLElement, ctx: EmbedContext): Promise<void> {
  const canisterId = required(el, 'canisterId');
  const elementId = required(el, 'elementId');
  const merchant = await merchantActor(canisterId, ctx.host);
  const config = unwrap(await merchant.get_element_configuration(elementId));
  const shadow = el.shadowRoot ?? el.attachShadow({ mode: 'open' });
  if (!config.is_active) {
    shadow.innerHTML = '';
    return;
  }
  const vars = { '--ckpay-primary': config.merchant_branding.accent_color, ...overrideVariables(config.theme_overrides) };
  shadow.innerHTML = `<style>${CHECKOUT_CSS}:host{display:block;margin:8px 0}${cssBlock(':host', vars)}</style><div part="root" data-ckpay-body></div>
    <div class="ckpay-error" part="error" hidden></div>`;
  const body = shadow.querySelector<HTMLElement>('[data-ckpay-body]')!;
  const track = (kind: Interaction) => merchant.track_element_usage(elementId, kind).catch(() => undefined);
  const showError = (e: unknown) => {
    const line = shadow.querySelector<HTMLElement>('.ckpay-error')!;
    line.hidden = false;
    line.textContent = (e as Error).message;
    track('error');
  };
  const type = config.component_type;
  if (el.dataset.elementType && el.dataset.elementType !== type) {
    throw new Error(`element ${elementId} is a ${type}, the page says ${el.dataset.elementType}`);
  }
  const renderers: Record<string, () => Promise<void>> = {
    PaymentButton: () => paymentButton(el, body, ctx, canisterId, config, track, showError),
    TokenSelector: () => tokenSelector(el, body, merchant, config, track),
    PriceDisplay: () => priceDisplay(el, body, merchant),
    CheckoutForm: () => checkoutForm(el, body, ctx, canisterId, track, showError),
    WalletConnect: () => walletConnect(el, body, ctx, track),
  };
  const render = renderers[type];
  if (!render) throw new Error(`unsupported element type ${type}`);
  await render();
  el.dataset.ckpayReady = 'true';
  track('render');
}

async function paymentButton(el: HTMLElement, body: HTMLElement, ctx: EmbedContext, canisterId: string,
                             config: ElementConfiguration, track: (k: Interaction) => void,
                             showError: (e: unknown) => void): Promise<void> {
  body.innerHTML = `<button class="ckpay-btn" part="button">${escapeHtml(config.merchant_branding.button_text)}</button>`;
  const button = body.querySelector('button')!;
  button.addEventListener('click', async () => {
    track('click');
    button.disabled = true;
    try {
      checkRules(el, config);
      const sessionId = await sessionFor(el);
      await openCheckout(el.shadowRoot!, { ...ctx, source: el }, canisterId, sessionId, undefined, undefined,
        () => track('success'));
    } catch (e) {
      showError(e);
    } finally {
      button.disabled = false;
    }
  });
}

/** The element's validation rules against the page's amount (base units) and token. */
function checkRules(el: HTMLElement, config: ElementConfiguration): void {
  const amount = el.dataset.amount ? BigInt(el.dataset.amount) : undefined;
  const min = rule(config, 'min_amount');
  const max = rule(config, 'max_amount');
  if (amount !== undefined && min && amount < BigInt(min)) throw new Error(`the amount is below the minimum of ${min}`);
  if (amount !== undefined && max && amount > BigInt(max)) throw new Error(`the amount is above the maximum of ${max}`);
  const allowed = rule(config, 'allowed_tokens');
  const token = el.dataset.token;
  if (allowed && token && !allowed.split(',').map((t) => t.trim()).includes(token)) {
    throw new Error(`${token} is not accepted here`);
  }
}

async function tokenSelector(el: HTMLElement, body: HTMLElement, merchant: Merchant, config: ElementConfiguration,
                             track: (k: Interaction) => void): Promise<void> {
  const allowed = rule(config, 'allowed_tokens')?.split(',').map((t) => t.trim()).filter(Boolean);
  const tokens = (await merchant.get_accepted_tokens())
    .filter((t) => t.enabled && (!allowed || allowed.includes(t.symbol)));
  if (!tokens.length) throw new Error('the merchant accepts no token here');
  body.innerHTML = `<label class="ckpay-label" part="label">Pay with</label>
    <select class="ckpay-select" part="select">${tokens.map((t) =>
      `<option value="${escapeHtml(t.symbol)}">${escapeHtml(t.symbol)} · ${escapeHtml(t.name)}</option>`).join('')}</select>`;
  const select = body.querySelector('select')!;
  const choose = () => {
    el.dataset.selectedToken = select.value;
    el.dispatchEvent(new CustomEvent('ckpay:token', { bubbles: true, composed: true, detail: { token: select.value } }));
  };
  select.addEventListener('change', () => { track('click'); choose(); });
  choose();
}

async function priceDisplay(el: HTMLElement, body: HTMLElement, merchant: Merchant): Promise<void> {
  const amount = el.dataset.amount;
  const symbol = el.dataset.token;
  if (!amount || !/^\d+$/.test(amount) || !symbol) throw new Error('PriceDisplay needs data-amount (base units) and data-token');
  const token = (await merchant.get_accepted_tokens()).find((t) => t.symbol === symbol);
  if (!token) throw new Error(`the merchant does not accept ${symbol}`);
  body.innerHTML = `<span class="ckpay-amount" part="amount">${formatUnits(BigInt(amount), token.decimals)} ${escapeHtml(symbol)}</span>`;
}

async function checkoutForm(el: HTMLElement, body: HTMLElement, ctx: EmbedContext, canisterId: string,
                            track: (k: Interaction) => void, showError: (e: unknown) => void): Promise<void> {
  try {
    const sessionId = await sessionFor(el);
    // the checkout inline, with the same wallet choice as the modal under it
    const root = document.createElement('div');
    const wallets = document.createElement('div');
    wallets.className = 'ckpay-wallets';
    wallets.dataset.ckpayWallets = '';
    body.replaceChildren(root, wallets);
    const chooser = new WalletChooser({ container: wallets, host: ctx.host, urls: walletUrls(new URLSearchParams(), el) });
    root.addEventListener('ckpay:final', () => { wallets.hidden = true; });
    await chooser.start();
    const view = new CheckoutView({
      root, host: ctx.host, merchantId: canisterId, sessionId, payer: chooser.current, themeOnHost: true,
      factoryId: el.dataset.factoryId, onPaid: () => track('success'),
      redirectDelayMs: el.dataset.redirect === 'false' ? undefined : 2500,
    });
    chooser.attach(view);
    await view.start();
  } catch (e) {
    showError(e);
  }
}

/** The checkout's wallet choice on its own: Internet Identity, a signer wallet (OISY unless
 * `data-signer-url` / `data-signer-name` say otherwise), a dev identity on localhost. The
 * account it connects is the page's wallet: the modal and the other elements pay from it.
 * Sets `data-connected-principal` and fires `ckpay:wallet` (detail: principal or null). */
async function walletConnect(el: HTMLElement, body: HTMLElement, ctx: EmbedContext,
                             track: (k: Interaction) => void): Promise<void> {
  body.innerHTML = '<div class="ckpay-wallets" data-ckpay-wallets></div>';
  const container = body.firstElementChild as HTMLElement;
  const chooser = new WalletChooser({ container, host: ctx.host, urls: walletUrls(new URLSearchParams(), el) });
  let reported: string | undefined | null = null; // null: nothing reported yet
  const report = () => {
    const principal = chooser.current?.principal.toText();
    if (principal === reported) return;
    reported = principal;
    if (principal) el.dataset.connectedPrincipal = principal; else delete el.dataset.connectedPrincipal;
    el.dispatchEvent(new CustomEvent('ckpay:wallet', { bubbles: true, composed: true, detail: { principal: principal ?? null } }));
  };
  container.addEventListener('click', (ev) => { if ((ev.target as HTMLElement).closest('button')) track('click'); });
  chooser.attach({ setPayer: (payer) => { report(); if (payer) track('success'); } });
  window.addEventListener(WALLET_EVENT, () => chooser.follow());
  await chooser.start();
  report();
}
