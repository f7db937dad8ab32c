// The checkout UI for one session, shared by the hosted page and the embedded modal:
// branding and theme, amount in the token and in USD, the session's ICRC-1 deposit account
// (textual encoding) with QR code and copy button, a countdown to expiry, live status (it
// asks the merchant canister to verify the payment), the ICRC-2 approve-and-pay path when
// the customer has a payer (an identity or a signer wallet, ./wallets/payer.ts), and clear states for unknown, expired and paid sessions.
// A session priced in several tokens (`price_options`) gets a token selector: amount, fiat
// and fee follow the choice, the deposit account stays the same (one subaccount on every
// ledger), and ICRC-2 pays in the chosen token.
import type { Identity } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import type {
  BrandingConfig, HostedCheckoutSession, ModalConfig, ModalTheme, SessionPriceOption, TokenConfig,
} from '../generated/user_payment_canister.idl';
import { CanisterError, factoryActor, merchantActor, opt, unwrap, type Merchant } from './ic';
import { copyText, countdown, escapeHtml, fiatCents, formatUnits, formatUsd, safeUrl, successUrl } from './format';
import { qrDataUrl } from './qr';
import { networkId, paymentRequestUri } from './icrc22';
import { ledgerErrorSentence, paymentErrorSentence } from './ledger-errors';
import { identityPayer, type Payer } from './wallets/payer';
import { DEFAULT_BRANDING, DEFAULT_THEME, cssBlock, themeVariables } from './theme';

export interface CheckoutOptions {
  root: HTMLElement;
  host: string;
  merchantId: string;
  sessionId: string;
  factoryId?: string;
  identity?: Identity;
  /** Who pays by ICRC-2 (Internet Identity, a signer wallet); else `identity`, if given. */
  payer?: Payer;
  /** Called once the session is paid (the hosted page redirects, the modal reports). */
  onPaid?: (session: HostedCheckoutSession) => void;
  /** Seconds between payment verifications (the canister checks the ledger each time). */
  pollSeconds?: number;
  /** The modal to take theme and branding from when the session names none. */
  modal?: ModalConfig;
  redirectDelayMs?: number;
  /** The embed sets the theme on its shadow host (so page CSS can override it): the view
   * then sets no variables itself. */
  themeOnHost?: boolean;
}

// inline SVG (no emoji: kiosks and headless browsers often lack an emoji font)
const svg = (color: string, path: string) =>
  `<svg width="48" height="48" viewBox="0 0 24 24" fill="none" stroke="${color}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><circle cx="12" cy="12" r="10"/>${path}</svg>`;
export const ICONS = {
  ok: svg('#10b981', '<path d="M7 12.5l3 3 7-7"/>'),
  wait: svg('#94a3b8', '<path d="M12 7v5l3 2"/>'),
  expired: svg('#f59e0b', '<path d="M12 7v5l3 2"/><path d="M4 4l16 16"/>'),
  unknown: svg('#64748b', '<path d="M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6V14"/><path d="M12 17h.01"/>'),
  error: svg('#ef4444', '<path d="M12 7v6"/><path d="M12 17h.01"/>'),
};

type State = 'loading' | 'open' | 'paid' | 'expired' | 'unknown' | 'error';
const FINAL_STATES: State[] = ['paid', 'expired', 'unknown', 'error'];

const statusOf = (s: HostedCheckoutSession) => Object.keys(s.status)[0] as 'open' | 'complete' | 'expired';

export class CheckoutView {
  private merchant!: Merchant;
  private session?: HostedCheckoutSession;
  private token?: TokenConfig;
  private usd?: number;
  private tokens: TokenConfig[] = [];
  private rates: Record<string, number> = {};
  /** The price option the customer chose (multi-token sessions only). */
  private choice?: SessionPriceOption;
  private theme: ModalTheme = DEFAULT_THEME;
  private branding: BrandingConfig = DEFAULT_BRANDING;
  private timers: number[] = [];
  private verifying = false;
  /** Base units the session's account already holds, per token (partial payments). */
  private received: Record<string, bigint> = {};
  private network?: string;
  state: State = 'loading';

  constructor(private readonly o: CheckoutOptions) {}

  async start(): Promise<void> {
    this.renderNotice(ICONS.wait, 'Loading checkout…', '');
    try {
      this.merchant = await merchantActor(this.o.merchantId, this.o.host, this.o.identity);
      const result = await this.merchant.get_checkout_session(this.o.sessionId);
      if ('Err' in result) {
        const err = new CanisterError(result.Err);
        if (err.code === 'not_found' || err.code === 'invalid_argument') return this.showUnknown();
        throw err;
      }
      this.session = result.Ok;
      await this.loadPresentation();
      this.route();
    } catch (e) {
      this.showError(e);
    }
  }

  /** The payer chosen after the view opened (a wallet connected): the pay button follows. */
  setPayer(payer: Payer | undefined): void {
    this.o.payer = payer;
    if (this.state === 'open') {
      this.stop();
      this.showOpen();
    }
  }

  private payer(): Payer | undefined {
    return this.o.payer ?? (this.o.identity ? identityPayer(this.o.identity) : undefined);
  }

  stop(): void {
    this.timers.forEach((t) => clearInterval(t));
    this.timers = [];
  }

  private async loadPresentation(): Promise<void> {
    const s = this.session!;
    let modal = this.o.modal;
    if (s.modal_config_id) {
      const res = await this.merchant.get_modal_config(s.modal_config_id);
      if ('Ok' in res) modal = res.Ok;
    }
    if (modal) {
      this.theme = modal.theme;
      this.branding = modal.branding;
    } else {
      try { // the merchant's own name, not ckPayment's, on an unbranded session
        const profile = await this.merchant.get_public_merchant_profile();
        this.branding = { ...this.branding, company_name: profile.name };
      } catch { /* an older merchant canister: neutral branding */ }
    }
    this.received[s.currency_token] = BigInt(s.amount_received);
    for (const o of opt(s.price_options) ?? []) this.received[o.token] = BigInt(o.amount_received);
    try { this.network = await networkId(this.o.host); } catch { this.network = undefined; }
    const tokens = await this.merchant.get_accepted_tokens();
    this.tokens = tokens;
    this.token = tokens.find((t) => t.symbol === s.currency_token);
    if (this.o.factoryId && (!modal || modal.payment_options.show_fiat_equivalent)) {
      try {
        const factory = await factoryActor(this.o.factoryId, this.o.host);
        const rates = await factory.get_real_time_rates();
        this.usd = rates.find((r) => r.key === s.currency_token)?.value;
        rates.forEach((r) => { this.rates[r.key] = r.value; });
      } catch {
        this.usd = undefined; // the fiat line then says the rate is unavailable
      }
    }
  }

  private route(): void {
    const s = this.session!;
    const status = statusOf(s);
    if (status === 'complete') return this.showPaid(false);
    if (status === 'expired' || BigInt(Date.now()) * 1_000_000n >= s.expires_at) return this.showExpired();
    this.showOpen();
  }

  // ---- rendering ----
  private frame(inner: string): void {
    const vars = this.o.themeOnHost ? '' : cssBlock('.ckpay-root', themeVariables(this.theme, this.branding));
    const logo = safeUrl(opt(this.branding.logo_url));
    const name = escapeHtml(this.branding.company_name);
    this.o.root.innerHTML = `<style>${vars}</style>
      <div class="ckpay-root"><div class="ckpay-card" data-ckpay-state="${this.state}">
        <div class="ckpay-brand">${logo ? `<img src="${escapeHtml(logo)}" alt="">` :
          `<div class="ckpay-logo">${escapeHtml(name.slice(0, 1).toUpperCase())}</div>`}
          <div><h1>${name}</h1><small>Secure checkout on the Internet Computer</small></div></div>
        ${inner}
        <div class="ckpay-footer">Powered by ckPayment${this.supportLink()}</div>
      </div></div>`;
  }

  private supportLink(): string {
    const url = safeUrl(opt(this.branding.support_url));
    return url ? ` · <a href="${escapeHtml(url)}" target="_blank" rel="noopener">Support</a>` : '';
  }

  /** The session's price options; one (its own token) unless it is multi-token. */
  private priceOptions(): SessionPriceOption[] {
    const stored = opt(this.session!.price_options);
    return stored && stored.length > 1 ? stored : [];
  }

  /** What is due now: the chosen option while open, else the session's own token and
   * amount (after payment, the token actually paid). */
  private due(): { token: string; amount: bigint; received: bigint; owed: bigint; ledger: string; decimals: number; fee?: bigint; usd?: number } {
    const s = this.session!;
    const c = this.state === 'open' ? this.choice : undefined;
    const symbol = c ? c.token : s.currency_token;
    const config = this.tokens.find((t) => t.symbol === symbol);
    const amount = BigInt(c ? c.amount : s.amount);
    const received = this.state === 'open' ? this.received[symbol] ?? 0n : 0n;
    return {
      token: symbol,
      amount,
      received,
      owed: received >= amount ? 0n : amount - received,
      ledger: (c ? c.ledger_canister_id : s.ledger_canister_id).toText(),
      decimals: c ? c.decimals : config?.decimals ?? this.token?.decimals ?? 8,
      fee: config ? BigInt(config.fee) : undefined,
      usd: symbol === s.currency_token && this.usd !== undefined ? this.usd : this.rates[symbol],
    };
  }

  /** What is still owed while open (the whole amount until something arrived). */
  private amountText(): string {
    const d = this.due();
    return `${formatUnits(d.owed, d.decimals)} ${escapeHtml(d.token)}`;
  }

  private amountLabel(): string {
    return this.due().received > 0n ? 'Still owed' : 'Amount due';
  }

  private receivedText(): string {
    const d = this.due();
    return d.received > 0n
      ? `Received ${formatUnits(d.received, d.decimals)} of ${formatUnits(d.amount, d.decimals)} ${escapeHtml(d.token)} so far.`
      : '';
  }

  /** The ICRC-22 payment request of what is still owed (what the QR code holds). */
  paymentRequest(): string {
    const d = this.due();
    return paymentRequestUri({ network: this.network ?? 'unknown', ledger: d.ledger, to: this.session!.payment_account, amount: d.owed });
  }

  private fiatText(): string {
    const d = this.due();
    const cents = fiatCents(d.owed, d.decimals, d.usd);
    return cents === null ? 'USD rate unavailable' : `≈ ${formatUsd(cents)}`;
  }

  private feeNote(): string {
    const d = this.due();
    return d.fee === undefined ? '' :
      `The ledger fee (${escapeHtml(formatUnits(d.fee, d.decimals))} ${escapeHtml(d.token)}) is paid by the sender on top.`;
  }

  /** The session's line items (what the customer buys), priced in the session's token. */
  private lineItems(): string {
    const s = this.session!;
    const items = opt(s.line_items) ?? [];
    if (items.length === 0) return '';
    const decimals = this.token?.decimals ?? 8;
    const rows = items.map((i) => `<li data-ckpay-line-item><span>${i.quantity > 1 ? `${i.quantity} × ` : ''}${escapeHtml(i.name)}</span>
      <span>${escapeHtml(formatUnits(BigInt(i.quantity) * BigInt(i.unit_amount), decimals))} ${escapeHtml(s.currency_token)}</span></li>`).join('');
    return `<ul class="ckpay-items" data-ckpay-line-items>${rows}</ul>`;
  }

  private tokenSelector(): string {
    const options = this.priceOptions();
    if (options.length === 0) return '';
    const items = options.map((o) => `<option value="${escapeHtml(o.token)}"${o.token === this.choice?.token ? ' selected' : ''}>${escapeHtml(o.token)} · ${escapeHtml(formatUnits(BigInt(o.amount), o.decimals))}</option>`).join('');
    return `<label class="ckpay-label" for="ckpay-token">Pay with</label>
      <select id="ckpay-token" class="ckpay-select" data-ckpay-token-select>${items}</select>`;
  }

  /** The customer picked another token: the amount, fiat line and fee follow it. */
  private choose(symbol: string): void {
    this.choice = this.priceOptions().find((o) => o.token === symbol) ?? this.choice;
    const set = (sel: string, html: string) => { const el = this.o.root.querySelector(sel); if (el) el.innerHTML = html; };
    set('[data-ckpay-amount]', this.amountText());
    set('[data-ckpay-fiat]', this.fiatText());
    set('[data-ckpay-fee]', this.feeNote());
    this.setStatus('Waiting for payment…');
    this.refreshOwed();
  }

  /** Amount, label, received line and QR code after the owed amount or token changed. */
  private refreshOwed(): void {
    const set = (sel: string, html: string) => { const el = this.o.root.querySelector(sel); if (el) el.innerHTML = html; };
    set('[data-ckpay-amount]', this.amountText());
    set('[data-ckpay-amount-label]', this.amountLabel());
    set('[data-ckpay-fiat]', this.fiatText());
    const line = this.o.root.querySelector<HTMLElement>('[data-ckpay-received]');
    if (line) { line.textContent = this.receivedText(); line.hidden = line.textContent === ''; }
    this.syncIcrc2();
    this.drawQr();
  }

  /** Once part of the price arrived by transfer, the rest is paid the same way: the canister
   * refuses an ICRC-2 charge of the full price on top (the customer never pays more). */
  private syncIcrc2(): void {
    const d = this.due();
    const pay = this.o.root.querySelector<HTMLElement>('[data-ckpay-pay-icrc2]');
    const note = this.o.root.querySelector<HTMLElement>('[data-ckpay-icrc2-note]');
    if (pay) pay.hidden = d.received > 0n;
    if (note) {
      note.hidden = !pay || d.received === 0n;
      note.textContent = note.hidden ? '' : `Part of the price arrived by transfer: send the remaining ${formatUnits(d.owed, d.decimals)} ${d.token} to the account above to finish (a wallet payment now would charge the full price again).`;
    }
  }

  private drawQr(): void {
    const uri = this.paymentRequest();
    const img = this.o.root.querySelector<HTMLImageElement>('[data-ckpay-qr]');
    if (!img) return;
    img.dataset.ckpayQrPayload = uri;
    qrDataUrl(uri).then((url) => { if (img.dataset.ckpayQrPayload === uri) img.src = url; });
  }

  private renderNotice(icon: string, title: string, body: string): void {
    this.frame(`<div class="ckpay-notice"><div class="ckpay-icon">${icon}</div>
      <h2 data-ckpay-title>${escapeHtml(title)}</h2><div>${body}</div></div>`);
    // A final state (paid, expired, unknown, error): hosts hide what only helps to pay.
    // Not while loading: that notice comes before every session, payable ones included.
    if (FINAL_STATES.includes(this.state)) {
      this.o.root.dispatchEvent(new CustomEvent('ckpay:final', { detail: this.state, bubbles: true }));
    }
  }

  private async showOpen(): Promise<void> {
    this.state = 'open';
    const s = this.session!;
    const account = s.payment_account;
    this.choice = this.choice ?? this.priceOptions()[0];
    const payer = this.payer();
    const wallet = payer
      ? `<button class="ckpay-btn ckpay-block" data-ckpay-pay-icrc2>Approve and pay from
           ${escapeHtml(shortPrincipal(payer.principal))}${this.o.payer ? ` (${escapeHtml(payer.label)})` : ''}</button>`
      : '';
    this.frame(`
      ${this.lineItems()}
      ${this.tokenSelector()}
      <div class="ckpay-label" data-ckpay-amount-label>${this.amountLabel()}</div>
      <div class="ckpay-amount" data-ckpay-amount>${this.amountText()}</div>
      <div class="ckpay-fiat" data-ckpay-fiat>${this.fiatText()}</div>
      <div class="ckpay-fiat" data-ckpay-received${this.receivedText() ? '' : ' hidden'}>${this.receivedText()}</div>
      <div class="ckpay-label">Send exactly this amount to</div>
      <div class="ckpay-account"><code data-ckpay-account>${escapeHtml(account)}</code>
        <button class="ckpay-btn ckpay-secondary" data-ckpay-copy>Copy</button></div>
      <img class="ckpay-qr" data-ckpay-qr alt="QR code: ICRC-22 payment request for a wallet to scan">
      <div class="ckpay-fiat" data-ckpay-fee>${this.feeNote()}</div>
      ${wallet}
      <div class="ckpay-fiat" data-ckpay-icrc2-note hidden></div>
      <div class="ckpay-row">
        <div class="ckpay-status" data-ckpay-status data-state="waiting"><span class="ckpay-dot"></span>
          <span data-ckpay-status-text>Waiting for payment…</span></div>
        <div class="ckpay-countdown" title="Time left" data-ckpay-countdown>${countdown(s.expires_at)}</div>
      </div>
      <div class="ckpay-error" data-ckpay-error hidden></div>
      ${safeUrl(s.cancel_url) ? `<a class="ckpay-btn ckpay-secondary ckpay-block" style="display:block;text-align:center;text-decoration:none" href="${escapeHtml(safeUrl(s.cancel_url)!)}" data-ckpay-cancel>Cancel</a>` : ''}`);
    const q = <T extends Element>(sel: string) => this.o.root.querySelector<T>(sel)!;
    this.syncIcrc2();
    this.drawQr();
    q<HTMLButtonElement>('[data-ckpay-copy]').addEventListener('click', (ev) => this.copy(account, ev.target as HTMLButtonElement));
    const pay = this.o.root.querySelector<HTMLButtonElement>('[data-ckpay-pay-icrc2]');
    pay?.addEventListener('click', () => this.payIcrc2(pay));
    const select = this.o.root.querySelector<HTMLSelectElement>('[data-ckpay-token-select]');
    select?.addEventListener('change', () => this.choose(select.value));
    this.timers.push(window.setInterval(() => this.tick(), 1000));
    this.timers.push(window.setInterval(() => this.verify(), (this.o.pollSeconds ?? 3) * 1000));
  }

  private tick(): void {
    const s = this.session!;
    const el = this.o.root.querySelector('[data-ckpay-countdown]');
    if (el) el.textContent = countdown(s.expires_at);
    if (BigInt(Date.now()) * 1_000_000n >= s.expires_at && this.state === 'open') this.showExpired();
  }

  private setStatus(text: string, state = 'waiting'): void {
    const box = this.o.root.querySelector<HTMLElement>('[data-ckpay-status]');
    const label = this.o.root.querySelector('[data-ckpay-status-text]');
    if (box) box.dataset.state = state;
    if (label) label.textContent = text;
  }

  private showErrorLine(text: string): void {
    const el = this.o.root.querySelector<HTMLElement>('[data-ckpay-error]');
    if (el) { el.hidden = false; el.textContent = text; }
  }

  private async copy(text: string, button: HTMLButtonElement): Promise<void> {
    await copyText(text);
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  }

  /** Ask the canister to check the ledger for a payment to the session's account. */
  private async verify(): Promise<void> {
    if (this.verifying || this.state !== 'open') return;
    this.verifying = true;
    try {
      const res = await this.merchant.complete_checkout_session(this.o.sessionId, '');
      if ('Ok' in res) return await this.refreshAndRoute();
      const err = new CanisterError(res.Err);
      if (err.code === 'insufficient_payment') {
        // "received N of M" (one token) or "received N of M LTT, K of L LT2" (several)
        const d = this.due();
        const m = this.choice ? new RegExp(`(\\d+) of \\d+ ${d.token}(,|$)`).exec(res.Err) : /received (\d+) of/.exec(res.Err);
        if (m && m[1] !== '0') {
          const before = this.received[d.token];
          this.received[d.token] = BigInt(m[1]);
          if (before !== this.received[d.token]) this.refreshOwed();
          this.setStatus('Partly paid: waiting for the rest…');
        }
      } else if (err.code === 'failed_precondition' || err.code === 'conflict' || err.code === 'expired') {
        await this.refreshAndRoute();
      } else if (err.code !== 'busy' && err.code !== 'rate_limited') {
        this.showErrorLine(paymentErrorSentence(res.Err, this.units()));
      }
    } catch (e) {
      this.showErrorLine(`Could not reach the merchant canister: ${(e as Error).message}`);
    } finally {
      this.verifying = false;
    }
  }

  private async refreshAndRoute(): Promise<void> {
    this.session = unwrap(await this.merchant.get_checkout_session(this.o.sessionId));
    if (statusOf(this.session) === 'complete') return this.showPaid(true);
    if (statusOf(this.session) === 'expired') return this.showExpired();
  }

  /** ICRC-2: approve the merchant canister for amount + fee, then let it pull the payment. */
  private async payIcrc2(button: HTMLButtonElement): Promise<void> {
    const s = this.session!;
    const c = this.choice;
    const d = this.due();
    const payer = this.payer()!;
    button.disabled = true;
    this.setStatus('Approving the payment in your wallet…');
    try {
      const ledgerId = c ? c.ledger_canister_id : s.ledger_canister_id;
      const ledger = await payer.ledger(ledgerId.toText(), this.o.host);
      const fee = d.fee ?? await ledger.icrc1_fee();
      const approved = await ledger.icrc2_approve({
        spender: { owner: Principal.fromText(this.o.merchantId), subaccount: [] },
        amount: d.amount + fee, fee: [], memo: [], from_subaccount: [],
        created_at_time: [], expected_allowance: [], expires_at: [BigInt(Date.now() + 10 * 60_000) * 1_000_000n],
      });
      if ('Err' in approved) throw new Error(ledgerErrorSentence(approved.Err as Record<string, unknown>, this.units(), d.amount + 2n * fee));
      this.setStatus('Paying…');
      const merchant = await payer.merchant(this.o.merchantId, this.o.host);
      const paid = c
        ? await merchant.pay_checkout_session_with_token(this.o.sessionId, c.token)
        : await merchant.pay_checkout_session(this.o.sessionId);
      if ('Err' in paid) throw new Error(paymentErrorSentence(paid.Err, this.units(), d.amount + fee));
      this.session = paid.Ok;
      this.showPaid(true);
    } catch (e) {
      button.disabled = false;
      this.setStatus('Payment not completed', 'error');
      this.showErrorLine((e as Error).message);
    }
  }

  private units(): { decimals: number; symbol: string } {
    const d = this.due();
    return { decimals: d.decimals, symbol: d.token };
  }

  private showPaid(justNow: boolean): void {
    this.stop();
    this.state = 'paid';
    const s = this.session!;
    const target = safeUrl(successUrl(s.success_url, s.session_id));
    const block = opt(s.ledger_block);
    this.renderNotice(ICONS.ok, justNow ? 'Payment received' : 'This session is already paid',
      `<p data-ckpay-amount>${this.amountText()}</p>
       ${block !== undefined ? `<p class="ckpay-fiat">Ledger block ${block.toString()}</p>` : ''}
       ${target ? `<p><a class="ckpay-btn" href="${escapeHtml(target)}" data-ckpay-continue>Return to the shop</a></p>` : ''}`);
    this.o.onPaid?.(s);
    if (justNow && target && this.o.redirectDelayMs !== undefined) {
      window.setTimeout(() => window.location.assign(target), this.o.redirectDelayMs);
    }
  }

  private showExpired(): void {
    this.stop();
    this.state = 'expired';
    const back = safeUrl(this.session?.cancel_url);
    this.renderNotice(ICONS.expired, 'This checkout session has expired',
      `<p>No payment can be made to it any more. Any amount sent late can be refunded by the merchant.</p>
       ${back ? `<p><a class="ckpay-btn ckpay-secondary" href="${escapeHtml(back)}">Back to the shop</a></p>` : ''}`);
  }

  showUnknown(): void {
    this.state = 'unknown';
    this.renderNotice(ICONS.unknown, 'Checkout session not found',
      `<p>The link is incomplete or the session <code>${escapeHtml(this.o.sessionId)}</code> does not exist.</p>`);
  }

  private showError(e: unknown): void {
    this.stop();
    this.state = 'error';
    this.renderNotice(ICONS.error, 'The checkout could not be loaded', `<p class="ckpay-error">${escapeHtml((e as Error).message ?? String(e))}</p>`);
  }
}

function shortPrincipal(p: Principal): string {
  const t = p.toText();
  return t.length > 20 ? `${t.slice(0, 11)}…${t.slice(-5)}` : t;
}
