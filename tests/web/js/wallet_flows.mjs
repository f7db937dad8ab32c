// The browser side of tests/web/test_browser_wallets.py: a customer pays a checkout from a
// signer wallet (ICRC-25/27/29/49), or signs in with Internet Identity's protocol (ii). The hosted page (or the ckpay.js modal) opens the local
// test wallet (web/test-wallet, the wallet side of @dfinity/oisy-wallet-signer) in a popup;
// this script approves the permission, account and consent prompts by clicking in that
// window, screenshots every step and prints one JSON line with what it saw.
// usage: node wallet_flows.mjs hosted|modal|ii|tampered|walletconnect CONFIG_JSON
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [flow, configText] = process.argv.slice(2);
const cfg = JSON.parse(configText);
mkdirSync(cfg.screenshots, { recursive: true });

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TIMEOUT = 60_000;

const shot = (page, name) => page.screenshot({ path: join(cfg.screenshots, `${name}.png`), fullPage: true });
const text = async (locator) => (await locator.first().textContent()).replace(/\s+/g, ' ').trim();

/** The text of `locator` once it has some. A wallet's or provider's page fills elements its
 * HTML already holds empty (its account, its principal) when its module script runs, which
 * can be well after the popup opened: reading on attachment alone may read ''. */
async function filledText(locator) {
  const filled = locator.filter({ hasText: /\S/ }).first();
  await filled.waitFor({ timeout: TIMEOUT });
  return text(filled);
}

/** Approve the wallet's next prompt of `kind`, after a screenshot; returns its text. */
async function approve(wallet, kind, name) {
  const prompt = wallet.locator(`[data-prompt="${kind}"]`);
  await prompt.waitFor({ timeout: TIMEOUT });
  const seen = await text(prompt);
  const consent = kind === 'consent' ? {
    text: (await wallet.locator('[data-consent]').textContent()).trim(),
    source: await wallet.locator('[data-consent]').getAttribute('data-consent-source'),
  } : undefined;
  await shot(wallet, name);
  await prompt.locator('[data-approve]').click();
  await prompt.waitFor({ state: 'detached', timeout: TIMEOUT });
  return consent ?? seen;
}

/** Click a wallet button of the page (`root`: the page or the modal's overlay); the popup
 * it opens. */
async function openWallet(page, root, selector) {
  const popup = page.waitForEvent('popup', { timeout: TIMEOUT });
  await root.locator(selector).click();
  return popup;
}

/** The page shows the chosen payer: its principal and kind. */
async function signedIn(root, out) {
  const principal = root.locator('[data-wallet-principal]');
  await principal.waitFor({ timeout: TIMEOUT });
  out.principal = await text(principal);
  out.walletKind = await root.locator('[data-wallet-kind]').getAttribute('data-wallet-kind');
}

/** Approve and pay (`confirm` does what the wallet asks in between), then the paid state and
 * the redirect. `shots`: [signed in, paid] screenshot names. */
async function payAndFinish(page, root, out, shots, confirm = async () => undefined) {
  const payButton = root.locator('[data-ckpay-pay-icrc2]');
  await payButton.waitFor({ timeout: TIMEOUT });
  out.payButton = await text(payButton);
  await shot(page, shots[0]);
  await payButton.click();
  await confirm();
  await root.locator('[data-ckpay-title]', { hasText: 'Payment received' }).waitFor({ timeout: TIMEOUT });
  out.paidTitle = await text(root.locator('[data-ckpay-title]'));
  await shot(page, shots[1]);
  await page.waitForURL(/\/thanks\?session=/, { timeout: TIMEOUT });
  out.redirectedTo = page.url();
  return out;
}

/** A signer wallet: connect it (permissions, account), pay, confirming the approval's and
 * the payment's consent messages in the wallet. `n`: the screenshots' decade. `openPay`:
 * where the pay button is once connected (the same root unless the page opens a checkout). */
async function payWithSigner(page, root, n, name, out, openPay = async () => root) {
  const button = root.locator('[data-wallet-signer]');
  await button.waitFor({ timeout: TIMEOUT });
  out.signerButton = await text(button);
  out.iiButton = await text(root.locator('[data-wallet-ii]'));
  await shot(page, `${n}0-${name}-wallet-choice`);
  const wallet = await openWallet(page, root, '[data-wallet-signer]');
  out.walletAccount = await filledText(wallet.locator('[data-wallet-owner]'));
  out.walletOrigin = new URL(wallet.url()).origin;
  out.permissions = await approve(wallet, 'permissions', `${n}1-${name}-wallet-permissions`);
  out.accounts = await approve(wallet, 'accounts', `${n}2-${name}-wallet-account`);
  await signedIn(root, out);
  const payRoot = await openPay();
  await payAndFinish(page, payRoot, out, [`${n}3-${name}-signer-connected`, `${n}6-${name}-signer-paid`], async () => {
    out.approveConsent = await approve(wallet, 'consent', `${n}4-${name}-wallet-consent-approve`);
    out.payConsent = await approve(wallet, 'consent', `${n}5-${name}-wallet-consent-pay`);
  });
  return out;
}

async function hosted(page) {
  await page.goto(cfg.hostedUrl);
  await page.locator('[data-ckpay-account]').waitFor({ timeout: TIMEOUT });
  return payWithSigner(page, page, 6, 'hosted', {});
}

async function modal(page) {
  await page.goto(cfg.shopUrl);
  const open = page.locator('[data-ckpay-open]');
  await open.waitFor({ timeout: TIMEOUT });
  await open.click();
  const overlay = page.locator('[data-ckpay-overlay]');
  await overlay.locator('[data-ckpay-account]').waitFor({ timeout: TIMEOUT });
  return payWithSigner(page, overlay, 7, 'modal', {});
}

/** The WalletConnect element connects the signer wallet; a PaymentButton on the same page
 * then opens a checkout that pays from that account (the wallet confirms both calls). */
async function walletConnect(page) {
  const out = {};
  await page.goto(cfg.shopUrl);
  const element = page.locator('[data-element-type="WalletConnect"]');
  await element.locator('[data-wallet-signer]').waitFor({ timeout: TIMEOUT });
  return payWithSigner(page, element, 9, 'element', out, async () => {
    out.connectedPrincipal = await element.getAttribute('data-connected-principal');
    await page.locator('[data-element-type="PaymentButton"] [part="button"]').click();
    const overlay = page.locator('[data-ckpay-overlay]');
    await overlay.locator('[data-ckpay-account]').waitFor({ timeout: TIMEOUT });
    out.overlayPrincipal = await text(overlay.locator('[data-wallet-principal]'));
    return overlay;
  });
}

/** A dishonest wallet (`?tamper=`): the page must refuse its answer to the approval. */
async function tampered(page) {
  const out = {};
  await page.goto(cfg.hostedUrl);
  await page.locator('[data-ckpay-account]').waitFor({ timeout: TIMEOUT });
  const wallet = await openWallet(page, page, '[data-wallet-signer]');
  await approve(wallet, 'permissions', '67-tampered-wallet-permissions');
  await approve(wallet, 'accounts', '67-tampered-wallet-account');
  await signedIn(page, out);
  await page.locator('[data-ckpay-pay-icrc2]').click();
  await approve(wallet, 'consent', '67-tampered-wallet-consent');
  const error = page.locator('[data-ckpay-error]:not([hidden])');
  await error.waitFor({ timeout: TIMEOUT });
  out.error = await text(error);
  out.status = await text(page.locator('[data-ckpay-status-text]'));
  out.title = await text(page.locator('[data-ckpay-amount-label]'));
  await shot(page, `68-hosted-${cfg.tamper}-reply-refused`);
  out.walletLog = await wallet.locator('[data-log]').allTextContents();
  return out;
}

/** Internet Identity's protocol: the page's AuthClient opens the local identity provider,
 * the user signs in there, and the page pays by ICRC-2 with the delegated identity. The
 * provider's window closes itself once the page has the delegation (the AuthClient closes
 * it 200 ms after the answer), so after the click only the page is looked at. */
async function ii(page) {
  const out = {};
  await page.goto(cfg.hostedUrl);
  await page.locator('[data-ckpay-account]').waitFor({ timeout: TIMEOUT });
  out.iiButton = await text(page.locator('[data-wallet-ii]'));
  const provider = await openWallet(page, page, '[data-wallet-ii]');
  out.providerOrigin = new URL(provider.url()).origin;
  out.providerPrincipal = await filledText(provider.locator('[data-ii-principal]'));
  const prompt = provider.locator('[data-prompt="delegation"]');
  await prompt.waitFor({ timeout: TIMEOUT });
  out.signInPrompt = await text(prompt);
  await shot(provider, '80-ii-provider-sign-in');
  await prompt.locator('[data-approve]').click();
  await signedIn(page, out);
  return payAndFinish(page, page, out, ['81-ii-signed-in', '82-ii-paid']);
}

const browser = await chromium.launch({ executablePath: cfg.chromium, args: FLAGS });
let result;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  const flows = { hosted: () => hosted(page), modal: () => modal(page), ii: () => ii(page), tampered: () => tampered(page),
    walletconnect: () => walletConnect(page) };
  if (!flows[flow]) throw new Error(`unknown flow ${flow}`);
  try {
    result = await flows[flow]();
  } catch (e) {
    // what the page said helps more than a timeout
    const said = await page.locator('[data-wallet-error], [data-ckpay-error]').allTextContents().catch(() => []);
    await shot(page, `${flow}-failure`).catch(() => undefined);
    throw new Error(`${e.message}\npage: ${JSON.stringify(said)}\nerrors: ${JSON.stringify(errors)}\nconsole: ${JSON.stringify(logs.slice(-20))}`);
  }
  result.pageErrors = errors;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
