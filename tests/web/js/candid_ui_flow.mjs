// The browser side of tests/web/test_candid_ui.py: Playwright (playwright-core) drives
// Debian's Chromium through localnet's Candid UI (/_/candid/): picks a canister, fills the
// generated forms, calls as anonymous and as a pasted PEM identity, and prints one JSON
// line with the results and costs it saw.
// usage: node candid_ui_flow.mjs CONFIG_JSON
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const cfg = JSON.parse(process.argv[2]);
mkdirSync(cfg.screenshots, { recursive: true });
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const browser = await chromium.launch({ executablePath: cfg.chromium, args: FLAGS });
const page = await browser.newPage();
page.setDefaultTimeout(60_000);
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
const shot = (name) => page.screenshot({ path: join(cfg.screenshots, `candid-ui-${name}.png`), fullPage: true });
const out = {};

async function call(method, fill = async () => {}) {
  const box = page.locator(`section.method[data-method="${method}"]`);
  await fill(box);
  await box.locator('h3').click(); // leave the field: its check may show a message and move the button
  const result = box.locator('pre.result');
  await result.evaluate((el) => { el.textContent = ''; el.className = 'result'; });
  await box.locator('button.call').click();
  try {
    await page.waitForFunction((el) => el.className !== 'result' && el.textContent !== '…',
      await result.elementHandle(), { timeout: 30_000 });
  } catch (err) {
    throw new Error(`${method}: no result ${await box.evaluate((e) => e.outerHTML)} (${await result.getAttribute('class')}: ` +
      `${await result.textContent()}; errors ${errors.join(' | ')})`);
  }
  return { text: await result.textContent(), ok: (await result.getAttribute('class')).includes('ok'),
    cycles: await box.locator('.cost').getAttribute('data-cycles') };
}

try {
  await page.goto(`${cfg.url}/_/candid/`);
  await page.waitForSelector('body[data-ready="true"]');
  out.options = await page.locator('#canister option').allTextContents();
  await page.selectOption('#canister', cfg.counterId);
  await page.waitForSelector('section.method[data-method="add"]');
  out.methods = await page.locator('section.method').evaluateAll((els) => els.map((e) => e.dataset.method));
  out.url = page.url();
  await shot('counter');
  out.anonymous = await call('whoami');
  out.add = await call('add', async (box) => box.locator('.args input').first().fill('41'));
  out.bad = await call('add', async (box) => box.locator('.args input').first().fill('-3'));
  await page.locator('details summary').click();
  await page.fill('#pem', cfg.pem);
  await page.click('#use-pem');
  out.principal = await page.locator('#principal').textContent();
  out.whoami = await call('whoami');
  out.get = await call('get');
  out.fail = await call('fail');
  await shot('called');
  // the ledger: a record argument, opened by URL
  await page.goto(`${cfg.url}/_/candid/?id=${cfg.ledgerId}`);
  await page.waitForSelector('section.method[data-method="icrc1_balance_of"]');
  out.balance = await call('icrc1_balance_of', async (box) => {
    await box.locator('.args input').first().fill(cfg.holder);
  });
  await shot('ledger');
} catch (err) {
  out.error = String(err && err.stack || err);
  await shot('error').catch(() => {});
}
out.pageErrors = errors;
await browser.close();
console.log(JSON.stringify(out));
