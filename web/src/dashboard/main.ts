// Merchant dashboard: sign in as an owner or co-owner of a merchant canister, with Internet
// Identity (the checkout's AuthClient module; `?ii=` on a local replica only) or locally a dev
// identity imported from a dfx identity.pem or a hex seed,
// then pages over hash routes (#/overview, #/payments/<id>, ...). Every figure comes from
// the merchant canister (and the factory's USD rates); nothing is cached between pages.
import type { Identity } from '@icp-sdk/core/agent';
import { apiHostFor, merchantActor } from '../lib/ic';
import { escapeHtml } from '../lib/format';
import { secretFromForm, signIn, signInFromFragment, signOut, storedIdentity } from '../lib/identity';
import { walletUrls } from '../lib/wallets/config';
import { restoredInternetIdentity, signInWithInternetIdentity, signOutOfInternetIdentity } from '../lib/wallets/internet-identity';
import { type Ctx, type Page, flash, ok } from './context';
import { overview } from './pages/overview';
import { payments } from './pages/payments';
import { sessions } from './pages/sessions';
import { balances } from './pages/balances';
import { webhooks } from './pages/webhooks';
import { oneClick } from './pages/oneclick';
import { security } from './pages/security';
import { team } from './pages/team';
import { settings } from './pages/settings';

const KEY = 'ckpay.dashboardIdentity'; // the merchant's, apart from a customer's checkout identity
const MERCHANT_KEY = 'ckpay.dashboardMerchant';
const PAGES: Record<string, Page> = {
  overview, payments, sessions, balances, webhooks, 'one-click': oneClick, security, team, settings,
};

const params = new URLSearchParams(location.search);
const host = apiHostFor(location.origin);
const $ = <T extends HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const merchantId = params.get('merchant') ?? localStorage.getItem(MERCHANT_KEY) ?? '';
const factoryId = params.get('factory') ?? import.meta.env.CANISTER_ID_PAYMENT_BACKEND;
const iiUrl = walletUrls(params).ii; // mainnet's II unless the build or (locally) `?ii=` says otherwise
let ctx: Ctx | undefined;

function showSignIn(error?: string): void {
  $('#app').hidden = true;
  $('#app').inert = true;
  $('#signin').hidden = false;
  ($('#connect').querySelector('input[name=merchant]') as HTMLInputElement).value = merchantId;
  const box = $('#signin-error');
  box.hidden = !error;
  box.textContent = error ?? '';
}

/** `via`: how the identity signed in; an Internet Identity session that is not an owner is
 * ended again, so the next visit offers the sign-in instead of the same refusal. */
async function start(identity: Identity, via: 'dev' | 'ii' = 'dev'): Promise<void> {
  const id = ($('#connect').querySelector('input[name=merchant]') as HTMLInputElement).value.trim() || merchantId;
  if (!id) return showSignIn('Enter the merchant canister id.');
  const principal = identity.getPrincipal().toText();
  try {
    const merchant = await merchantActor(id, host, identity);
    const access = ok(await merchant.get_access_overview());
    if (!access.owners.some((o) => o.toText() === principal)) {
      if (via === 'ii') await signOutOfInternetIdentity(iiUrl);
      return showSignIn(`${principal} is not an owner of ${id}; ask an owner to add you as a co-owner (Team page).`);
    }
    localStorage.setItem(MERCHANT_KEY, id);
    ctx = { merchant, merchantId: id, factoryId, host, identity, principal, tokens: await merchant.get_accepted_tokens(),
      refresh: (message?: string) => route(message) };
    $('#merchant-name').textContent = access.name;
    $('#who').innerHTML = `<code data-principal>${escapeHtml(principal)}</code><button id="signout">Sign out</button>`;
    $('#signout').addEventListener('click', async () => {
      if (via === 'ii') await signOutOfInternetIdentity(iiUrl); else signOut(KEY);
      location.reload();
    });
    $('#signin').hidden = true;
    $('#app').hidden = false;
    $('#app').inert = false;
    document.body.classList.add('signed-in');
    if (!location.hash) location.hash = '#/overview';
    await route();
  } catch (e) {
    const text = (e as Error).message;
    if (via === 'ii') {
      await signOutOfInternetIdentity(iiUrl);
      // a stranger's Internet Identity: get_access_overview answers only the merchant's staff
      if (text.startsWith('unauthorized')) {
        return showSignIn(`The Internet Identity ${principal} is not an owner or co-owner of ${id}; ask an owner to add it as a co-owner (Team page). (${text})`);
      }
    }
    showSignIn(text);
  }
}

async function route(message?: string): Promise<void> {
  if (!ctx) return;
  const [, name = 'overview', param] = location.hash.split('/');
  const page = PAGES[name] ?? overview;
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.getAttribute('href') === `#/${name}`));
  $('#nav').classList.remove('open');
  const el = $('#page');
  el.dataset.page = name;
  el.dataset.loading = 'true';
  el.innerHTML = '<p class="muted">Loading…</p>';
  try {
    await page(ctx, el, param);
    if (message) flash(el, message);
  } catch (e) {
    el.innerHTML = '';
    flash(el, (e as Error).message, true);
  } finally {
    delete el.dataset.loading;
    el.dataset.ready = String(Date.now());
  }
}

window.addEventListener('hashchange', () => route());
$('#menu').addEventListener('click', () => $('#nav').classList.toggle('open'));
$('#import').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    await start(signIn(await secretFromForm(ev.target as HTMLFormElement), KEY));
  } catch (e) {
    showSignIn((e as Error).message);
  }
});

$('#ii-signin').addEventListener('click', async (ev) => {
  const button = ev.currentTarget as HTMLButtonElement;
  button.disabled = true;
  try {
    await start(await signInWithInternetIdentity(iiUrl), 'ii');
  } catch (e) {
    showSignIn(`Internet Identity sign-in failed: ${(e as Error).message}`);
  } finally {
    button.disabled = false;
  }
});

let linked: Identity | undefined;
try {
  linked = signInFromFragment(KEY); // run.sh's dev link (local hosts only)
} catch (e) {
  showSignIn(`The sign-in link holds no usable identity: ${(e as Error).message}`);
}
/** `data-session-checked` on <body>: the page is done with the session it found on
 * opening (signed in with it, refused it, or found none), so a sign-in form still shown
 * stays: before that an earlier session may yet replace it. */
const sessionChecked = () => { document.body.dataset.sessionChecked = 'true'; };
const known = linked ?? storedIdentity(KEY);
if (known && merchantId) {
  ($('#connect').querySelector('input[name=merchant]') as HTMLInputElement).value = merchantId;
  start(known).finally(sessionChecked);
} else {
  showSignIn();
  // an Internet Identity session of an earlier visit (AuthClient keeps it 8 h)
  if (merchantId) {
    restoredInternetIdentity(iiUrl).then((ii) => {
      if (ii && !ii.getPrincipal().isAnonymous()) return start(ii, 'ii');
    }).catch(() => undefined).finally(sessionChecked);
  } else sessionChecked();
}
