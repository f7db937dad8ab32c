// The browser side of tests/web/test_browser.py: Playwright (playwright-core) drives Debian's
// Chromium through the front ends served by localnet, pays on the local ledger like a
// customer's wallet would (with @icp-sdk/core), screenshots every step, and prints one JSON
// line with what it saw.
// usage: node browser_flows.mjs hosted|modal|builder|elements|tokens|expired|wallet|partial|dashboard CONFIG_JSON
import { chromium } from 'playwright-core';
import { HttpAgent, Actor } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

const [flow, configText] = process.argv.slice(2);
const cfg = JSON.parse(configText);
mkdirSync(cfg.screenshots, { recursive: true });

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TIMEOUT = 60_000;

const ledgerIdl = ({ IDL }) => {
  const Account = IDL.Record({ owner: IDL.Principal, subaccount: IDL.Opt(IDL.Vec(IDL.Nat8)) });
  const TransferArg = IDL.Record({
    to: Account, fee: IDL.Opt(IDL.Nat), memo: IDL.Opt(IDL.Vec(IDL.Nat8)),
    from_subaccount: IDL.Opt(IDL.Vec(IDL.Nat8)), created_at_time: IDL.Opt(IDL.Nat64), amount: IDL.Nat,
  });
  return IDL.Service({
    icrc1_transfer: IDL.Func([TransferArg], [IDL.Variant({ Ok: IDL.Nat, Err: IDL.Reserved })], []),
  });
};

/** ICRC-1 textual account -> { owner, subaccount } (spec/icrc/ICRC-1/TextualEncoding.md). */
function decodeAccount(text) {
  const dot = text.lastIndexOf('.');
  if (dot < 0) return { owner: Principal.fromText(text), subaccount: [] };
  const head = text.slice(0, dot);
  const hex = text.slice(dot + 1).padStart(64, '0');
  const owner = Principal.fromText(head.slice(0, head.lastIndexOf('-')));
  return { owner, subaccount: [Uint8Array.from(hex.match(/../g).map((b) => parseInt(b, 16)))] };
}

/** Decimal token text ("0.25 LTT") -> base units (8 decimals unless told). */
function baseUnits(amountText, decimals = 8) {
  const [number] = amountText.trim().split(/\s+/);
  const [whole, frac = ''] = number.split('.');
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt((frac + '0'.repeat(decimals)).slice(0, decimals));
}

/** Decode the page's QR code image with jsQR (run in the page, on the pixels drawn). */
async function readQr(page, previous = null) {
  await page.addScriptTag({ path: require.resolve('jsqr/dist/jsQR.js') });
  await page.waitForFunction((prev) => {
    const img = document.querySelector('[data-ckpay-qr]');
    return img?.complete && img.src.startsWith('data:image/png') && img.dataset.ckpayQrPayload !== prev;
  }, previous, { timeout: TIMEOUT });
  await page.waitForFunction(() => { const i = document.querySelector('[data-ckpay-qr]'); return i.complete && i.naturalWidth > 0; });
  return page.evaluate(() => {
    const img = document.querySelector('[data-ckpay-qr]');
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
    return window.jsQR(pixels.data, canvas.width, canvas.height)?.data ?? null;
  });
}

async function pay(accountText, amount, ledgerId = cfg.ledgerId) {
  const seed = Uint8Array.from(cfg.payerSeed.match(/../g).map((b) => parseInt(b, 16)));
  const agent = await HttpAgent.create({ host: cfg.apiHost, identity: Ed25519KeyIdentity.generate(seed), shouldFetchRootKey: true });
  const ledger = Actor.createActor(ledgerIdl, { agent, canisterId: ledgerId });
  const res = await ledger.icrc1_transfer({
    to: decodeAccount(accountText), amount, fee: [], memo: [], from_subaccount: [], created_at_time: [],
  });
  if (!('Ok' in res)) throw new Error(`transfer failed: ${JSON.stringify(res)}`);
  return res.Ok.toString();
}

async function shot(page, name) {
  await page.screenshot({ path: join(cfg.screenshots, `${name}.png`), fullPage: true });
}

async function title(page) {
  return (await page.locator('[data-ckpay-title]').first().textContent()).trim();
}

async function hosted(page) {
  const out = {};
  await page.goto(cfg.hostedUrl);
  const account = page.locator('[data-ckpay-account]');
  await account.waitFor({ timeout: TIMEOUT });
  await page.waitForFunction(() => document.querySelector('[data-ckpay-qr]')?.getAttribute('src')?.startsWith('data:image/png'));
  out.account = (await account.textContent()).trim();
  out.amountText = (await page.locator('[data-ckpay-amount]').textContent()).trim();
  out.fiatText = (await page.locator('[data-ckpay-fiat]').first().textContent()).trim();
  out.countdown = (await page.locator('[data-ckpay-countdown]').textContent()).trim();
  out.company = (await page.locator('.ckpay-brand h1').textContent()).trim();
  await shot(page, '01-hosted-checkout');
  await page.locator('[data-ckpay-copy]').click();
  out.copied = await page.evaluate(() => navigator.clipboard.readText());
  out.block = await pay(out.account, baseUnits(out.amountText));
  out.paidUnits = baseUnits(out.amountText).toString();
  await page.locator('[data-ckpay-title]', { hasText: 'Payment received' }).waitFor({ timeout: TIMEOUT });
  out.paidTitle = await title(page);
  await shot(page, '02-hosted-paid');
  await page.waitForURL(/\/thanks\?session=/, { timeout: TIMEOUT });
  out.redirectedTo = page.url();
  await shot(page, '03-hosted-redirected');
  await page.goto(cfg.hostedUrl);
  await page.locator('[data-ckpay-title]', { hasText: 'already paid' }).waitFor({ timeout: TIMEOUT });
  out.againTitle = await title(page);
  await shot(page, '04-hosted-already-paid');
  await page.goto(cfg.unknownUrl);
  await page.locator('[data-ckpay-title]', { hasText: 'not found' }).waitFor({ timeout: TIMEOUT });
  out.unknownTitle = await title(page);
  await shot(page, '05-hosted-unknown-session');
  return out;
}

async function modal(page, context) {
  const out = {};
  await context.addInitScript((seed) => localStorage.setItem('ckpay.devIdentity', seed), cfg.customerSeed);
  await page.goto(cfg.shopUrl);
  const open = page.locator('[data-ckpay-open]');
  await open.waitFor({ timeout: TIMEOUT });
  out.buttonText = (await open.textContent()).trim();
  out.buttonStyle = await open.evaluate((el) => {
    const style = getComputedStyle(el);
    return { radius: style.borderTopLeftRadius, background: style.backgroundColor };
  });
  await shot(page, '06-modal-shop-page');
  await open.click();
  await page.locator('[data-ckpay-overlay] [data-ckpay-account]').waitFor({ timeout: TIMEOUT });
  out.account = (await page.locator('[data-ckpay-account]').textContent()).trim();
  out.amountText = (await page.locator('[data-ckpay-amount]').textContent()).trim();
  await shot(page, '07-modal-open');
  const payButton = page.locator('[data-ckpay-pay-icrc2]');
  out.payButton = (await payButton.textContent()).replace(/\s+/g, ' ').trim();
  await payButton.click();
  await page.locator('[data-ckpay-title]', { hasText: 'Payment received' }).waitFor({ timeout: TIMEOUT });
  out.paidTitle = await title(page);
  await shot(page, '08-modal-paid');
  await page.waitForURL(/\/thanks\?session=/, { timeout: TIMEOUT });
  out.redirectedTo = page.url();
  return out;
}

/** Whether the builder's editor can be seen, focused or clicked (it must not be, unless an
 * owner of the opened merchant is signed in). */
async function editorState(page) {
  return page.evaluate(() => {
    const app = document.querySelector('#app');
    const save = document.querySelector('#save');
    save.focus();
    const r = save.getBoundingClientRect();
    const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return { visible: app.checkVisibility(), inert: app.inert, focused: document.activeElement === save,
      clickable: Boolean(hit && app.contains(hit)), height: app.getBoundingClientRect().height };
  });
}

async function builderSignIn(page, { text, file }) {
  if (file) await page.setInputFiles('#import input[name=pem]', { name: 'identity.pem', mimeType: 'text/plain', buffer: Buffer.from(file) });
  else await page.fill('#import textarea', text);
  await page.click('#import button');
}

async function builder(page, browser) {
  const out = {};
  // no merchant opened: only the "open a merchant" hint, no editor
  await page.goto(cfg.builderBase);
  await page.locator('#start').waitFor({ timeout: TIMEOUT });
  out.noMerchant = await editorState(page);
  await shot(page, '09a-builder-no-merchant');
  // a merchant, signed out: the sign-in form, no editor
  await page.goto(cfg.builderUrl);
  await page.locator('#signin').waitFor({ timeout: TIMEOUT });
  out.signedOut = await editorState(page);
  await shot(page, '09b-builder-signed-out');
  // a raw seed of someone who is no owner: told so, still no editor
  await builderSignIn(page, { text: cfg.payerSeed });
  await page.locator('#signin-note', { hasText: 'cannot manage' }).waitFor({ timeout: TIMEOUT });
  out.notOwnerNote = (await page.locator('#signin-note').textContent()).trim();
  out.notOwner = await editorState(page);
  await shot(page, '09c-builder-not-an-owner');
  // a secp256k1 identity.pem (as run.sh's customer; with an EC PARAMETERS block), from a file
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.locator('#signin').waitFor({ timeout: TIMEOUT });
  await builderSignIn(page, { file: cfg.secpPem });
  await page.locator('#app').waitFor({ state: 'visible', timeout: TIMEOUT });
  out.secpSignedInAs = (await page.locator('[data-principal]').textContent()).trim();
  out.secpEditor = await editorState(page);
  await shot(page, '09d-builder-secp256k1-co-owner');
  await page.click('#signout');
  await page.locator('#signin').waitFor({ timeout: TIMEOUT });
  // the owner's Ed25519 identity.pem, pasted
  await builderSignIn(page, { text: cfg.ownerPem });
  await page.locator('#app').waitFor({ state: 'visible', timeout: TIMEOUT });
  out.signedInAs = (await page.locator('[data-principal]').textContent()).trim();
  await page.locator('select[name=template] option', { hasText: 'Midnight' }).waitFor({ state: 'attached', timeout: TIMEOUT });
  out.templates = (await page.locator('select[name=template] option').allTextContents()).map((t) => t.trim());
  await shot(page, '09-builder-start');
  await page.selectOption('select[name=template]', { label: 'Midnight (dark)' });
  await page.fill('input[name=name]', 'Coffee checkout');
  await page.fill('input[name=company_name]', "Satoshi's Coffee");
  await page.fill('input[name=button_text]', 'Buy beans');
  await page.fill('input[name=success_url]', `${cfg.siteUrl}/thanks?session={CHECKOUT_SESSION_ID}`);
  await page.fill('input[name=cancel_url]', `${cfg.siteUrl}/cart`);
  out.previewButton = (await page.locator('[data-preview-button]').textContent()).trim();
  out.previewPrimary = await page.locator('#preview').evaluate((el) =>
    getComputedStyle(el.shadowRoot.querySelector('[data-preview-button]')).backgroundColor);
  await shot(page, '10-builder-live-preview');
  await page.click('#save');
  const code = page.locator('#embed-code', { hasText: 'data-modal-id' });
  await code.waitFor({ timeout: TIMEOUT });
  out.embed = (await code.textContent()).trim();
  await shot(page, '11-builder-saved-embed-code');

  const html = cfg.pageTemplate.replace('{{SNIPPET}}', out.embed);
  const res = await fetch(`${cfg.siteUrl}/pages`, { method: 'POST', body: JSON.stringify({ path: '/builder-shop.html', html }) });
  if (!res.ok) throw new Error('could not publish the page');
  const shop = await page.context().newPage();
  await shop.goto(`${cfg.siteUrl}/builder-shop.html`);
  const open = shop.locator('[data-ckpay-open]');
  await open.waitFor({ timeout: TIMEOUT });
  out.embeddedButton = (await open.textContent()).trim();
  out.embeddedPrimary = await open.evaluate((el) => getComputedStyle(el).backgroundColor);
  await shot(shop, '12-builder-embed-on-page');
  await open.click();
  await shop.locator('[data-ckpay-overlay] [data-ckpay-account]').waitFor({ timeout: TIMEOUT });
  const account = (await shop.locator('[data-ckpay-account]').textContent()).trim();
  const amountText = (await shop.locator('[data-ckpay-amount]').textContent()).trim();
  out.embeddedCompany = (await shop.locator('.ckpay-brand h1').textContent()).trim();
  await shot(shop, '13-builder-embed-modal-open');
  out.block = await pay(account, baseUnits(amountText));
  await shop.locator('[data-ckpay-title]', { hasText: 'Payment received' }).waitFor({ timeout: TIMEOUT });
  await shot(shop, '14-builder-embed-paid');
  await shop.waitForURL(/\/thanks\?session=/, { timeout: TIMEOUT });
  out.redirectedTo = shop.url();

  await page.reload();
  await page.locator('#app').waitFor({ state: 'visible', timeout: TIMEOUT });
  await page.locator('#modals button', { hasText: 'Coffee checkout' }).click();
  await page.locator('[data-metric="Payments"]', { hasText: '1' }).waitFor({ timeout: TIMEOUT });
  out.analytics = Object.fromEntries(await page.locator('#analytics dd').evaluateAll((dds) =>
    dds.map((dd) => [dd.dataset.metric, dd.textContent.trim()])));
  await shot(page, '15-builder-analytics');

  // a 375 px phone: signed out, then signed in with the owner's raw seed; never wider
  const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 1 });
  const mobile = await phone.newPage();
  mobile.on('pageerror', (e) => out.mobileErrors = [...(out.mobileErrors ?? []), String(e)]);
  const width = () => mobile.evaluate(() => document.documentElement.scrollWidth);
  await mobile.goto(cfg.builderUrl);
  await mobile.locator('#signin').waitFor({ timeout: TIMEOUT });
  out.mobileSignedOutWidth = await width();
  await shot(mobile, '15a-builder-mobile-signed-out');
  await builderSignIn(mobile, { text: cfg.ownerSeed });
  await mobile.locator('#app').waitFor({ state: 'visible', timeout: TIMEOUT });
  await mobile.locator('#modals button', { hasText: 'Coffee checkout' }).click();
  await mobile.locator('[data-metric="Payments"]', { hasText: '1' }).waitFor({ timeout: TIMEOUT });
  out.mobileSignedInAs = (await mobile.locator('[data-principal]').textContent()).trim();
  out.mobileWidth = await width();
  await shot(mobile, '15b-builder-mobile-editor');
  await phone.close();
  return out;
}

async function elements(page) {
  const out = {};
  await page.goto(cfg.elementsUrl);
  const price = page.locator('[data-element-type="PriceDisplay"] [part="amount"]');
  await price.waitFor({ timeout: TIMEOUT });
  out.price = (await price.textContent()).trim();
  const select = page.locator('[data-element-type="TokenSelector"] select');
  await select.waitFor({ timeout: TIMEOUT });
  out.options = await select.locator('option').allTextContents();
  out.selected = await page.locator('[data-element-type="TokenSelector"]').getAttribute('data-selected-token');
  const button = page.locator('[data-element-type="PaymentButton"] [part="button"]');
  await button.waitFor({ timeout: TIMEOUT });
  out.buttonText = (await button.textContent()).trim();
  out.buttonColor = await button.evaluate((el) => getComputedStyle(el).backgroundColor);
  await shot(page, '16-elements-on-page');
  await button.click();
  await page.locator('[data-ckpay-overlay] [data-ckpay-account]').waitFor({ timeout: TIMEOUT });
  const account = (await page.locator('[data-ckpay-account]').textContent()).trim();
  out.amountText = (await page.locator('[data-ckpay-amount]').textContent()).trim();
  await shot(page, '17-elements-checkout-open');
  out.block = await pay(account, baseUnits(out.amountText));
  await page.locator('[data-ckpay-title]', { hasText: 'Payment received' }).waitFor({ timeout: TIMEOUT });
  await shot(page, '18-elements-paid');
  await page.waitForURL(/\/thanks\?session=/, { timeout: TIMEOUT });
  out.redirectedTo = page.url();
  return out;
}

/** A multi-token session on the hosted page: choose the second token, read the amount, pay
 * it by ICRC-1 on that token's ledger; then a second session paid by ICRC-2 in that token. */
async function tokens(page, context) {
  const out = {};
  await page.goto(cfg.hostedUrl);
  const select = page.locator('[data-ckpay-token-select]');
  await select.waitFor({ timeout: TIMEOUT });
  out.options = (await select.locator('option').allTextContents()).map((t) => t.trim());
  out.firstAmount = (await page.locator('[data-ckpay-amount]').textContent()).trim();
  out.firstFiat = (await page.locator('[data-ckpay-fiat]').first().textContent()).trim();
  out.account = (await page.locator('[data-ckpay-account]').textContent()).trim();
  await shot(page, '21-tokens-hosted-choice');
  await select.selectOption(cfg.token);
  await page.locator('[data-ckpay-amount]', { hasText: cfg.token }).waitFor({ timeout: TIMEOUT });
  out.amountText = (await page.locator('[data-ckpay-amount]').textContent()).trim();
  out.fiatText = (await page.locator('[data-ckpay-fiat]').first().textContent()).trim();
  out.feeText = (await page.locator('[data-ckpay-fee]').textContent()).trim();
  out.accountAfter = (await page.locator('[data-ckpay-account]').textContent()).trim();
  await shot(page, '22-tokens-second-token-chosen');
  out.block = await pay(out.accountAfter, baseUnits(out.amountText, cfg.tokenDecimals), cfg.tokenLedgerId);
  await page.locator('[data-ckpay-title]', { hasText: 'Payment received' }).waitFor({ timeout: TIMEOUT });
  out.paidAmount = (await page.locator('[data-ckpay-amount]').textContent()).trim();
  await shot(page, '23-tokens-paid-in-second-token');
  await page.waitForURL(/\/thanks\?session=/, { timeout: TIMEOUT });
  out.redirectedTo = page.url();

  await context.addInitScript((seed) => localStorage.setItem('ckpay.devIdentity', seed), cfg.payerSeed);
  await page.goto(cfg.icrc2Url);
  await select.waitFor({ timeout: TIMEOUT });
  await select.selectOption(cfg.token);
  await page.locator('[data-ckpay-amount]', { hasText: cfg.token }).waitFor({ timeout: TIMEOUT });
  out.icrc2Amount = (await page.locator('[data-ckpay-amount]').textContent()).trim();
  const payButton = page.locator('[data-ckpay-pay-icrc2]');
  await shot(page, '24-tokens-icrc2-chosen');
  await payButton.click();
  await page.locator('[data-ckpay-title]', { hasText: 'Payment received' }).waitFor({ timeout: TIMEOUT });
  out.icrc2PaidAmount = (await page.locator('[data-ckpay-amount]').textContent()).trim();
  await shot(page, '25-tokens-icrc2-paid');
  await page.waitForURL(/\/thanks\?session=/, { timeout: TIMEOUT });
  out.icrc2RedirectedTo = page.url();
  return out;
}

/** The hosted page (opened at the session's own `url`) paid by ICRC-2 after signing in:
 * the wallet bar is there, the QR is an ICRC-22 request, an unfunded wallet gets a sentence,
 * a funded one pays. */
async function wallet(page) {
  const out = {};
  await page.goto(cfg.hostedUrl);
  await page.locator('[data-ckpay-account]').waitFor({ timeout: TIMEOUT });
  out.company = (await page.locator('.ckpay-brand h1').textContent()).trim();
  out.lineItems = (await page.locator('[data-ckpay-line-item]').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
  out.qr = await readQr(page);
  const signin = page.locator('[data-wallet-signin]');
  out.walletVisible = await page.locator('#wallet').isVisible();
  out.signinText = (await signin.textContent()).trim();
  await shot(page, '27-hosted-wallet-bar');
  await signin.click();
  const principal = page.locator('[data-wallet-principal]');
  await principal.waitFor({ timeout: TIMEOUT });
  out.principal = (await principal.textContent()).trim();
  const payButton = page.locator('[data-ckpay-pay-icrc2]');
  await payButton.waitFor({ timeout: TIMEOUT });
  await shot(page, '28-hosted-signed-in');
  await payButton.click();
  const error = page.locator('[data-ckpay-error]:not([hidden])');
  await error.waitFor({ timeout: TIMEOUT });
  out.unfundedError = (await error.textContent()).trim();
  await shot(page, '29-hosted-unfunded-wallet-error');
  // the customer tops up the new wallet, then pays
  await pay(`${out.principal}`, 100_000_000n);
  await payButton.click();
  await page.locator('[data-ckpay-title]', { hasText: 'Payment received' }).waitFor({ timeout: TIMEOUT });
  out.paidTitle = await title(page);
  await shot(page, '30-hosted-icrc2-paid');
  await page.waitForURL(/\/thanks\?session=/, { timeout: TIMEOUT });
  out.redirectedTo = page.url();
  return out;
}

/** A partial ICRC-1 payment: the page shows what is still owed and the QR asks for it. */
async function partial(page, context) {
  const out = {};
  // a customer signed in with a wallet identity: ICRC-2 is offered until part arrives
  await context.addInitScript((seed) => localStorage.setItem('ckpay.devIdentity', seed), cfg.payerSeed);
  await page.goto(cfg.hostedUrl);
  await page.locator('[data-ckpay-account]').waitFor({ timeout: TIMEOUT });
  out.account = (await page.locator('[data-ckpay-account]').textContent()).trim();
  out.firstQr = await readQr(page);
  out.icrc2Before = await page.locator('[data-ckpay-pay-icrc2]').isVisible();
  await pay(out.account, BigInt(cfg.partUnits));
  await page.locator('[data-ckpay-amount-label]', { hasText: 'Still owed' }).waitFor({ timeout: TIMEOUT });
  out.icrc2After = await page.locator('[data-ckpay-pay-icrc2]').isVisible();
  out.icrc2Note = (await page.locator('[data-ckpay-icrc2-note]').textContent()).trim();
  out.label = (await page.locator('[data-ckpay-amount-label]').textContent()).trim();
  out.owed = (await page.locator('[data-ckpay-amount]').textContent()).trim();
  out.receivedLine = (await page.locator('[data-ckpay-received]').textContent()).trim();
  out.fiat = (await page.locator('[data-ckpay-fiat]').first().textContent()).trim();
  out.qr = await readQr(page, out.firstQr);
  await shot(page, '31-hosted-partly-paid');
  await pay(out.account, baseUnits(out.owed));
  await page.locator('[data-ckpay-title]', { hasText: 'Payment received' }).waitFor({ timeout: TIMEOUT });
  out.paidAmount = (await page.locator('[data-ckpay-amount]').textContent()).trim();
  await shot(page, '32-hosted-partial-then-paid');
  return out;
}

/** Wait until the dashboard's page `name` has rendered (after navigation or an action). */
async function dashPage(page, name, after = 0) {
  await page.waitForFunction(([n, t]) => {
    const el = document.querySelector('#page');
    return el?.dataset.page === n && !el.dataset.loading && Number(el.dataset.ready ?? 0) > t;
  }, [name, after], { timeout: TIMEOUT });
  return page.evaluate(() => Number(document.querySelector('#page').dataset.ready));
}

async function dashGo(page, route) {
  const before = await page.evaluate(() => Number(document.querySelector('#page')?.dataset.ready ?? 0));
  await page.evaluate((r) => { location.hash = r; }, route);
  return dashPage(page, route.split('/')[1], before);
}

/** Click an action button; wait for its error flash or for the page's re-render after it. */
async function dashAct(page, selector, name) {
  const t = await page.evaluate(() => Number(document.querySelector('#page').dataset.ready));
  await page.click(selector);
  await page.waitForFunction(([n, t0]) => {
    const el = document.querySelector('#page');
    return document.querySelector('[data-flash="error"]') || (el.dataset.page === n && !el.dataset.loading && Number(el.dataset.ready) > t0);
  }, [name, t], { timeout: TIMEOUT });
  const error = await page.locator('[data-flash="error"]').count();
  const text = (await page.locator('[data-flash]').first().textContent()).trim();
  if (error) throw new Error(`${selector} failed: ${text}`);
  return text;
}

const flashText = async (page) => (await page.locator('[data-flash]').first().textContent()).trim();
const metric = async (page, key) => (await page.locator(`[data-metric="${key}"]`).textContent()).trim();

async function dashSignIn(page, pem) {
  await page.goto(cfg.dashboardUrl);
  await page.locator('#import textarea').waitFor({ timeout: TIMEOUT });
  await page.fill('#import textarea', pem);
  await page.click('#import button');
  await page.locator('[data-principal]').waitFor({ timeout: TIMEOUT });
  await dashPage(page, 'overview');
  return (await page.locator('[data-principal]').textContent()).trim();
}

/** Click the page's Internet Identity button and approve the local identity provider's
 * sign-in (web/test-wallet/ii.html) in its popup; the provider's principal, read once its
 * script has filled it in (the element is in its HTML, empty, before). The popup closes
 * itself after answering: nothing in it is looked at after the click. */
async function dashIISignIn(page, shotName, button = '[data-dashboard-ii]') {
  const popup = page.waitForEvent('popup', { timeout: TIMEOUT });
  await page.click(button);
  const provider = await popup;
  const filled = provider.locator('[data-ii-principal]').filter({ hasText: /\S/ });
  await filled.waitFor({ timeout: TIMEOUT });
  const principal = (await filled.textContent()).trim();
  const prompt = provider.locator('[data-prompt="delegation"]');
  await prompt.waitFor({ timeout: TIMEOUT });
  await shot(provider, shotName);
  await prompt.locator('[data-approve]').click();
  return principal;
}

/** A co-owner signs in to the dashboard with Internet Identity, reads the payments and
 * refunds one; the session survives a reload; a stranger's Internet Identity is refused. */
async function dashboardII(page, browser) {
  const out = {};
  await page.goto(cfg.dashboardUrl);
  const button = page.locator('[data-dashboard-ii]');
  await button.waitFor({ timeout: TIMEOUT });
  out.iiButton = (await button.textContent()).trim();
  out.providerPrincipal = await dashIISignIn(page, '97-dashboard-ii-provider-sign-in');
  await page.locator('[data-principal]').waitFor({ timeout: TIMEOUT });
  await dashPage(page, 'overview');
  out.signedInAs = (await page.locator('[data-principal]').textContent()).trim();
  out.payments = await metric(page, 'payments');
  await dashGo(page, '#/payments');
  out.paymentIds = await page.locator('#list tr[data-id]').evaluateAll((rows) => rows.map((r) => r.dataset.id));
  let t = await page.evaluate(() => Number(document.querySelector('#page').dataset.ready));
  await page.click(`#list tr[data-id="${cfg.paymentId}"]`);
  t = await dashPage(page, 'payments', t);
  await page.fill('#refund input[name=amount]', cfg.refundAmount);
  await page.fill('#refund input[name=reason]', cfg.refundReason);
  out.refundFlash = await dashAct(page, '#refund button', 'payments');
  await shot(page, '98-dashboard-ii-refunded');
  await page.reload();
  await page.locator('[data-principal]').waitFor({ timeout: TIMEOUT });
  out.afterReload = (await page.locator('[data-principal]').textContent()).trim();
  // the builder signs in the same way (its own origin: its own II session)
  await page.goto(cfg.builderUrl);
  await page.locator('[data-builder-ii]').waitFor({ timeout: TIMEOUT });
  out.builderProvider = await dashIISignIn(page, '99b-builder-ii-provider-sign-in', '[data-builder-ii]');
  await page.locator('#app:not([hidden])').waitFor({ timeout: TIMEOUT });
  out.builderAs = (await page.locator('[data-principal]').textContent()).trim();
  await shot(page, '99c-builder-ii-signed-in');

  const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const stranger = await other.newPage();
  await stranger.goto(cfg.strangerUrl);
  await stranger.locator('[data-dashboard-ii]').waitFor({ timeout: TIMEOUT });
  out.strangerPrincipal = await dashIISignIn(stranger, '99a-dashboard-ii-stranger-provider');
  const error = stranger.locator('#signin-error:not([hidden])');
  await error.waitFor({ timeout: TIMEOUT });
  out.strangerError = (await error.textContent()).trim();
  out.strangerSignedIn = (await stranger.locator('#nav').isVisible()) || (await stranger.locator('[data-principal]').count()) > 0;
  await shot(stranger, '99-dashboard-ii-stranger-refused');
  // refused means signed out again: a reload offers the sign-in, not the same refusal
  await stranger.reload();
  await stranger.locator('[data-dashboard-ii]').waitFor({ timeout: TIMEOUT });
  // the page is done with any session it found: a refusal would be shown by now
  await stranger.locator('body[data-session-checked]').waitFor({ state: 'attached', timeout: TIMEOUT });
  out.strangerErrorAfterReload = await stranger.locator('#signin-error:not([hidden])').count();
  await other.close();
  return out;
}

/** The merchant dashboard against a merchant with real payments and webhook deliveries. */
async function dashboard(page, context, browser) {
  const out = {};
  await page.goto(cfg.dashboardUrl);
  await page.locator('#import textarea').waitFor({ timeout: TIMEOUT });
  await shot(page, '40-dashboard-sign-in');
  out.signedInAs = await dashSignIn(page, cfg.ownerPem);
  out.merchantName = (await page.locator('#merchant-name').textContent()).trim();
  out.overview = {};
  for (const k of ['payments', 'volume', 'volume_usd', 'refunds', 'conversion', 'sessions_created', 'sessions_completed']) out.overview[k] = (await metric(page, k)).replace(/\s+/g, ' ');
  out.buckets = await page.evaluate(() => Number(document.querySelector('#page').dataset.buckets));
  out.charts = await page.locator('canvas').count();
  await shot(page, '41-dashboard-overview');

  await dashGo(page, '#/payments');
  out.paymentRows = await page.locator('#list tr[data-id]').count();
  await page.selectOption('#filters select[name=method]', 'icrc2');
  out.icrc2Rows = await page.locator('#list tr[data-id]').count();
  await shot(page, '42-dashboard-payments-filtered');
  const row = page.locator('#list tr[data-id]').first();
  out.paymentId = await row.getAttribute('data-id');
  let t = await page.evaluate(() => Number(document.querySelector('#page').dataset.ready));
  await row.click();
  t = await dashPage(page, 'payments', t);
  out.paymentBlock = (await page.locator('[data-payment-block]').textContent()).trim();
  await page.fill('#refund input[name=amount]', cfg.refundAmount);
  await page.fill('#refund input[name=reason]', cfg.refundReason);
  out.refundFlash = await dashAct(page, '#refund button', 'payments');
  out.refundBlocks = await page.locator('[data-refund-block]').allTextContents();
  out.refundedText = (await page.locator('[data-refunded]').textContent()).trim();
  await shot(page, '43-dashboard-payment-refunded');

  await dashGo(page, '#/sessions');
  out.sessionRows = await page.locator('#list tbody tr').count();
  await page.fill('#create input[name=amount]', '0.1');
  await page.click('#create button');
  await page.locator('[data-session-url]').waitFor({ timeout: TIMEOUT });
  out.newSessionUrl = (await page.locator('[data-session-url]').textContent()).trim();
  await page.click('[data-copy-new]');
  out.copiedUrl = await page.evaluate(() => navigator.clipboard.readText());
  await shot(page, '44-dashboard-sessions');

  await dashGo(page, '#/balances');
  out.balance = (await page.locator('[data-balance]').first().textContent()).trim();
  await page.fill('#payout input[name=amount]', cfg.payoutAmount);
  out.payoutFlash = await dashAct(page, '#payout button', 'balances');
  out.balanceAfter = (await page.locator('[data-balance]').first().textContent()).trim();
  await shot(page, '45-dashboard-balances-payout');

  await dashGo(page, '#/webhooks');
  out.webhookRows = await page.locator('tr[data-id]').count();
  t = await page.evaluate(() => Number(document.querySelector('#page').dataset.ready));
  await page.locator('tr[data-id]').first().click();
  await dashPage(page, 'webhooks', t);
  out.attemptRows = await page.locator('[data-attempts] tbody tr').count();
  out.secretBefore = (await page.locator('[data-secret]').textContent()).trim();
  out.testFlash = await dashAct(page, '#test', 'webhooks');
  out.attemptRowsAfter = await page.locator('[data-attempts] tbody tr').count();
  out.resentEvent = await page.locator('[data-resend]').last().getAttribute('data-resend');
  out.resendFlash = await dashAct(page, `[data-resend="${out.resentEvent}"] >> nth=-1`, 'webhooks');
  out.rotateFlash = await dashAct(page, '#rotate', 'webhooks');
  out.secretAfter = (await page.locator('[data-secret]').textContent()).trim();
  await shot(page, '46-dashboard-webhook-endpoint');

  for (const [route, name] of [['#/one-click', '47-dashboard-one-click'], ['#/security', '48-dashboard-security'],
    ['#/team', '49-dashboard-team'], ['#/settings', '50-dashboard-settings']]) {
    await dashGo(page, route);
    await shot(page, name);
  }
  // one-click: the customer's pre-authorization is listed; revoking it from here
  await dashGo(page, '#/one-click');
  out.revokable = await page.locator('[data-revoke]').evaluateAll((bs) => bs.map((b) => b.dataset.revoke));
  out.revokeFlash = await dashAct(page, '[data-revoke]', 'one-click');
  out.revokableAfter = await page.locator('[data-revoke]').count();
  await shot(page, '47a-dashboard-one-click-revoked');

  await dashGo(page, '#/team');
  out.owners = await page.locator('[data-owner]').allTextContents();
  out.servers = await page.locator('[data-server]').allTextContents();

  // a phone, signed in as the co-owner with a secp256k1 identity.pem (dfx's format)
  const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 1 });
  await phone.grantPermissions(['clipboard-read', 'clipboard-write']);
  const mobile = await phone.newPage();
  mobile.on('pageerror', (e) => out.mobileErrors = [...(out.mobileErrors ?? []), String(e)]);
  out.coOwner = await dashSignIn(mobile, cfg.coOwnerPem);
  out.mobileWidths = {};
  for (const [route, name] of [['#/overview', '51-dashboard-mobile-overview'], ['#/payments', '52-dashboard-mobile-payments'],
    ['#/sessions', null], ['#/balances', null], ['#/webhooks', '53-dashboard-mobile-webhooks'], ['#/one-click', null],
    ['#/security', null], ['#/team', null], ['#/settings', null]]) {
    if (route !== '#/overview') await dashGo(mobile, route);
    out.mobileWidths[route] = await mobile.evaluate(() => document.documentElement.scrollWidth);
    if (name) await shot(mobile, name);
  }
  await mobile.click('#menu');
  out.menuVisible = await mobile.locator('#nav').isVisible();
  await shot(mobile, '54-dashboard-mobile-menu');
  await phone.close();
  return out;
}

/** run.sh's dev link: the dashboard opened with the owner's PEM in the URL fragment is
 * signed in, and the key is gone from the address bar and history. */
async function devLink(page) {
  const out = {};
  await page.goto(cfg.linkUrl);
  await page.locator('[data-principal]').waitFor({ timeout: TIMEOUT });
  await dashPage(page, 'overview');
  out.signedInAs = (await page.locator('[data-principal]').textContent()).trim();
  out.href = page.url();
  out.historyLength = await page.evaluate(() => history.length);
  await shot(page, '40a-dashboard-dev-link');
  // the same link with a key that is not an owner's: the sign-in form says so
  await page.evaluate(() => localStorage.clear());
  await page.goto('about:blank'); // (a URL that differs only in its fragment would not reload)
  await page.goto(cfg.strangerUrl);
  await page.locator('#signin-error:not([hidden])').waitFor({ timeout: TIMEOUT });
  out.strangerError = (await page.locator('#signin-error').textContent()).trim();
  out.strangerHref = page.url();
  return out;
}

/** The links `scripts/run.sh` prints: the open session's hosted page, and the dashboard and
 * builder signed in as the demo merchant by the dev link's fragment. */
async function runLinks(page, context) {
  const out = {};
  await page.goto(cfg.hostedUrl);
  await page.locator('[data-ckpay-amount]').waitFor({ timeout: TIMEOUT });
  await readQr(page);
  out.amount = (await page.locator('[data-ckpay-amount]').textContent()).trim();
  out.company = (await page.locator('.ckpay-brand h1').textContent()).trim();
  out.fiat = (await page.locator('[data-ckpay-fiat]').first().textContent()).trim();
  await shot(page, '71-runsh-hosted-open-session');
  const dash = await context.newPage();
  dash.on('pageerror', (e) => out.dashErrors = [...(out.dashErrors ?? []), String(e)]);
  await dash.goto(cfg.dashboardUrl);
  await dash.locator('[data-principal]').waitFor({ timeout: TIMEOUT });
  await dashPage(dash, 'overview');
  out.dashboardAs = (await dash.locator('[data-principal]').textContent()).trim();
  out.merchantName = (await dash.locator('#merchant-name').textContent()).trim();
  out.dashboardHref = dash.url();
  out.volumeUsd = (await dash.locator('[data-metric="volume_usd"]').textContent()).trim();
  await shot(dash, '72-runsh-dashboard-dev-link');
  const builder = await context.newPage();
  await builder.goto(cfg.builderUrl);
  await builder.locator('#app').waitFor({ state: 'visible', timeout: TIMEOUT });
  await builder.locator('select[name=template] option', { hasText: 'Classic' }).waitFor({ state: 'attached', timeout: TIMEOUT });
  out.builderAs = (await builder.locator('[data-principal]').textContent()).trim();
  out.builderHref = builder.url();
  out.templates = (await builder.locator('select[name=template] option').allTextContents()).map((t) => t.trim());
  await shot(builder, '73-runsh-builder-dev-link');
  return out;
}

/** A session the merchant expired: the page shows the expired state and links back. */
async function expired(page) {
  const out = {};
  await page.goto(cfg.hostedUrl);
  await page.locator('[data-ckpay-title]', { hasText: 'expired' }).waitFor({ timeout: TIMEOUT });
  out.title = await title(page);
  out.state = await page.locator('[data-ckpay-state]').getAttribute('data-ckpay-state');
  out.backHref = await page.locator('.ckpay-notice a').getAttribute('href');
  out.hasAccount = await page.locator('[data-ckpay-account]').count();
  out.hasPayButton = await page.locator('[data-ckpay-pay-icrc2]').count();
  out.walletVisible = await page.locator('#wallet').isVisible();
  await shot(page, '26-hosted-expired');
  return out;
}

const browser = await chromium.launch({ executablePath: cfg.chromium, args: FLAGS });
let result;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const flows = { hosted: () => hosted(page), modal: () => modal(page, context), builder: () => builder(page, browser),
    elements: () => elements(page), tokens: () => tokens(page, context), expired: () => expired(page),
    wallet: () => wallet(page), partial: () => partial(page, context), dashboard: () => dashboard(page, context, browser), devlink: () => devLink(page), 'dashboard-ii': () => dashboardII(page, browser), runlinks: () => runLinks(page, context) };
  if (!flows[flow]) throw new Error(`unknown flow ${flow}`);
  result = await flows[flow]();
  result.pageErrors = errors;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
