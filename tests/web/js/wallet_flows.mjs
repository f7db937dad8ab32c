// The browser side of tests/web/test_browser_wallets.py: a customer pays a checkout from a
// signer wallet (ICRC-25/27/29/49), or signs in with Internet Identity's protocol (ii). The hosted page (or the ckpay.js modal) opens the local
// test wallet (web/test-wallet, the wallet side of @dfinity/oisy-wallet-signer) in a popup;
// this script approves the permission, account and consent prompts by clicking in that
// window, screenshots every step and prints one JSON line with what it saw.
// usage: node wallet_flows.mjs hosted|modal|ii CONFIG_JSON
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

/** `prefix`: [screenshot decade, page name]. Connect the signer from the page's wallet choice, approve permissions and the account. */
async function connect(page, root, prefix, out) {
  const button = root.locator('[data-wallet-signer]');
  await button.waitFor({ timeout: TIMEOUT });
  out.signerButton = await text(button);
  out.iiButton = await text(root.locator('[data-wallet-ii]'));
  await shot(page, `${prefix[0]}0-${prefix[1]}-wallet-choice`);
  const popup = page.waitForEvent('popup', { timeout: TIMEOUT });
  await button.click();
  const wallet = await popup;
  await wallet.locator('[data-wallet-owner]').waitFor({ timeout: TIMEOUT });
  out.walletOrigin = new URL(wallet.url()).origin;
  out.permissions = await approve(wallet, 'permissions', `${prefix[0]}1-${prefix[1]}-wallet-permissions`);
  out.accounts = await approve(wallet, 'accounts', `${prefix[0]}2-${prefix[1]}-wallet-account`);
  const principal = root.locator('[data-wallet-principal]');
  await principal.waitFor({ timeout: TIMEOUT });
  out.principal = await text(principal);
  out.walletKind = await root.locator('[data-wallet-kind]').getAttribute('data-wallet-kind');
  return wallet;
}

/** Pay: the approval on the ledger and the merchant's pay_checkout_session, each confirmed
 * in the wallet after its consent message. */
async function payFromWallet(page, root, wallet, prefix, out) {
  const payButton = root.locator('[data-ckpay-pay-icrc2]');
  await payButton.waitFor({ timeout: TIMEOUT });
  out.payButton = await text(payButton);
  await shot(page, `${prefix[0]}3-${prefix[1]}-signer-connected`);
  await payButton.click();
  out.approveConsent = await approve(wallet, 'consent', `${prefix[0]}4-${prefix[1]}-wallet-consent-approve`);
  out.payConsent = await approve(wallet, 'consent', `${prefix[0]}5-${prefix[1]}-wallet-consent-pay`);
  await root.locator('[data-ckpay-title]', { hasText: 'Payment received' }).waitFor({ timeout: TIMEOUT });
  out.paidTitle = await text(root.locator('[data-ckpay-title]'));
  await shot(page, `${prefix[0]}6-${prefix[1]}-signer-paid`);
  out.walletLog = await wallet.locator('[data-log]').allTextContents();
}

async function hosted(page) {
  const out = {};
  await page.goto(cfg.hostedUrl);
  await page.locator('[data-ckpay-account]').waitFor({ timeout: TIMEOUT });
  const wallet = await connect(page, page, ['6', 'hosted'], out);
  await payFromWallet(page, page, wallet, ['6', 'hosted'], out);
  await page.waitForURL(/\/thanks\?session=/, { timeout: TIMEOUT });
  out.redirectedTo = page.url();
  return out;
}

/** Internet Identity's protocol: the page's AuthClient opens the local identity provider,
 * the user signs in there, and the page pays by ICRC-2 with the delegated identity. */
async function ii(page) {
  const out = {};
  await page.goto(cfg.hostedUrl);
  await page.locator('[data-ckpay-account]').waitFor({ timeout: TIMEOUT });
  const button = page.locator('[data-wallet-ii]');
  await button.waitFor({ timeout: TIMEOUT });
  out.iiButton = await text(button);
  const popup = page.waitForEvent('popup', { timeout: TIMEOUT });
  await button.click();
  const provider = await popup;
  out.providerOrigin = new URL(provider.url()).origin;
  out.providerPrincipal = await text(provider.locator('[data-ii-principal]'));
  out.signInPrompt = await approve(provider, 'delegation', '80-ii-provider-sign-in');
  const principal = page.locator('[data-wallet-principal]');
  await principal.waitFor({ timeout: TIMEOUT });
  out.principal = await text(principal);
  out.walletKind = await page.locator('[data-wallet-kind]').getAttribute('data-wallet-kind');
  const payButton = page.locator('[data-ckpay-pay-icrc2]');
  await payButton.waitFor({ timeout: TIMEOUT });
  out.payButton = await text(payButton);
  await shot(page, '81-ii-signed-in');
  await payButton.click();
  await page.locator('[data-ckpay-title]', { hasText: 'Payment received' }).waitFor({ timeout: TIMEOUT });
  out.paidTitle = await text(page.locator('[data-ckpay-title]'));
  await shot(page, '82-ii-paid');
  await page.waitForURL(/\/thanks\?session=/, { timeout: TIMEOUT });
  out.redirectedTo = page.url();
  return out;
}

async function modal(page) {
  const out = {};
  await page.goto(cfg.shopUrl);
  const open = page.locator('[data-ckpay-open]');
  await open.waitFor({ timeout: TIMEOUT });
  await open.click();
  const overlay = page.locator('[data-ckpay-overlay]');
  await overlay.locator('[data-ckpay-account]').waitFor({ timeout: TIMEOUT });
  const wallet = await connect(page, overlay, ['7', 'modal'], out);
  await payFromWallet(page, overlay, wallet, ['7', 'modal'], out);
  await page.waitForURL(/\/thanks\?session=/, { timeout: TIMEOUT });
  out.redirectedTo = page.url();
  return out;
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
  const flows = { hosted: () => hosted(page), modal: () => modal(page), ii: () => ii(page) };
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
