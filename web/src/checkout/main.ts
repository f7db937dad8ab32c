// Hosted checkout page: /?session=<id> (or /pay/<id>). The factory routes the session id to
// its merchant canister (`resolve_hosted_page_route`); the page then runs the shared
// checkout view, and redirects to the session's success URL once paid.
import { CHECKOUT_CSS } from '../lib/styles';
import { CheckoutView, ICONS } from '../lib/checkout-view';
import { apiHostFor, factoryActor, merchantActor } from '../lib/ic';
import { escapeHtml } from '../lib/format';
import { WalletChooser } from '../lib/wallets/chooser';
import { walletUrls } from '../lib/wallets/config';

const params = new URLSearchParams(window.location.search);
const pathSession = /^\/pay\/([^/]+)$/.exec(window.location.pathname)?.[1];
const sessionId = params.get('session') ?? (pathSession ? decodeURIComponent(pathSession) : null);
const factoryId = params.get('factory') ?? import.meta.env.CANISTER_ID_PAYMENT_BACKEND;
const host = apiHostFor(window.location.origin);
const main = document.getElementById('checkout')!;
const wallet = document.getElementById('wallet')!;

const style = document.createElement('style');
style.textContent = CHECKOUT_CSS;
document.head.appendChild(style);

function fail(title: string, detail: string): void {
  main.innerHTML = `<div class="ckpay-root"><div class="ckpay-card"><div class="ckpay-notice">
    <div class="ckpay-icon">${ICONS.error}</div><h2 data-ckpay-title>${escapeHtml(title)}</h2>
    <p>${escapeHtml(detail)}</p></div></div></div>`;
}

// The wallet bar: Internet Identity, a signer wallet (OISY), a dev identity on localhost.
const chooser = new WalletChooser({ container: wallet, host, urls: walletUrls(params) });

// The wallet bar only helps to pay: gone once the session is paid, expired or unknown.
main.addEventListener('ckpay:final', () => { wallet.hidden = true; });

async function run(): Promise<void> {
  if (!sessionId) return fail('No checkout session', 'This page needs a session: /?session=cs_...');
  if (!factoryId) return fail('Not configured', 'No payment factory canister id (?factory=... or CANISTER_ID_PAYMENT_BACKEND at build time).');
  const walletReady = chooser.start();
  let merchantId: string;
  try {
    const factory = await factoryActor(factoryId, host);
    const route = await factory.resolve_hosted_page_route(sessionId);
    if ('Err' in route) {
      const view = new CheckoutView({ root: main, host, merchantId: '', sessionId });
      return void (route.Err.startsWith('not_found') || route.Err.startsWith('invalid_argument')
        ? view.showUnknown() : fail('Routing failed', route.Err));
    }
    merchantId = route.Ok.toText();
  } catch (e) {
    return fail('The payment network is unreachable', (e as Error).message);
  }
  // the hosted page is where its views are counted (the factory's hosted-page metrics);
  // analytics never blocks paying
  merchantActor(merchantId, host).then((m) => m.track_hosted_page_view(sessionId)).catch(() => undefined);
  document.title = `Checkout ${sessionId.slice(0, 16)}… · ckPayment`;
  await walletReady;
  const view = new CheckoutView({
    root: main, host, merchantId, sessionId, factoryId, payer: chooser.current,
    redirectDelayMs: Number(params.get('redirect_ms') ?? 2500),
  });
  chooser.attach(view);
  (window as unknown as { ckpayCheckout: CheckoutView }).ckpayCheckout = view;
  await view.start();
}

run();
