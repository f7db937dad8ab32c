// What every dashboard page gets: the merchant canister as the signed-in owner, its tokens
// (for decimals), and small rendering helpers. Every figure on a page comes from a call to
// the merchant canister made when the page opens.
import type { Identity } from '@icp-sdk/core/agent';
import type { TokenConfig } from '../generated/user_payment_canister.idl';
import { CanisterError, type Merchant } from '../lib/ic';
import { escapeHtml, formatUnits } from '../lib/format';
export { copyText } from '../lib/format';

export interface Ctx {
  merchant: Merchant;
  merchantId: string;
  factoryId?: string;
  host: string;
  identity: Identity;
  principal: string;
  tokens: TokenConfig[];
  /** Re-render the current page (after a change), then show `message`. */
  refresh: (message?: string) => Promise<void>;
}

export type Page = (ctx: Ctx, el: HTMLElement, param?: string) => Promise<void>;

export const h = escapeHtml;

export function decimalsOf(ctx: Ctx, symbol: string): number {
  return ctx.tokens.find((t) => t.symbol === symbol)?.decimals ?? 8;
}

/** Base units of a token as "1.25 LTT". */
export function money(ctx: Ctx, amount: bigint | number, symbol: string): string {
  return `${formatUnits(BigInt(amount), decimalsOf(ctx, symbol))} ${symbol}`;
}

/** Decimal text typed by the merchant ("0.1") -> base units; throws on bad input. */
export function parseUnits(text: string, decimals: number): bigint {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) throw new Error(`"${text}" is not an amount`);
  const [whole, frac = ''] = t.split('.');
  if (frac.length > decimals) throw new Error(`at most ${decimals} decimals`);
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt((frac + '0'.repeat(decimals)).slice(0, decimals) || '0');
}

export function when(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().replace('T', ' ').slice(0, 19);
}

export function badge(status: string): string {
  return `<span class="badge ${h(status)}">${h(status)}</span>`;
}

export const short = (text: string, keep = 10) => (text.length > 2 * keep + 1 ? `${text.slice(0, keep)}…${text.slice(-keep)}` : text);

/** `Ok` of a result or throws the canister's error text. */
export function ok<T>(result: { Ok: T } | { Err: string }): T {
  if ('Err' in result) throw new CanisterError(result.Err);
  return result.Ok;
}

export function table(headers: string[], rows: string[][], ids?: string[]): string {
  if (rows.length === 0) return '<p class="muted" data-empty>Nothing yet.</p>';
  const head = headers.map((x) => `<th>${h(x)}</th>`).join('');
  const body = rows.map((r, i) => `<tr${ids ? ` data-id="${h(ids[i])}"` : ''}>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

export function flash(el: HTMLElement, text: string, error = false): void {
  const box = document.createElement('div');
  box.className = error ? 'flash error' : 'flash';
  box.dataset.flash = error ? 'error' : 'ok';
  box.textContent = text;
  el.querySelectorAll('[data-flash]').forEach((f) => f.remove());
  el.prepend(box);
}

/** Run a button's action: disabled meanwhile; the outcome is flashed on the page. Returns
 * the success message (null on failure) so the caller can re-render and flash it again. */
export async function act(el: HTMLElement, button: HTMLButtonElement | null, work: () => Promise<string>): Promise<string | null> {
  if (button) button.disabled = true;
  try {
    const message = await work();
    flash(el, message);
    return message;
  } catch (e) {
    flash(el, (e as Error).message, true);
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

export const optText = (v: string): [] | [string] => (v.trim() ? [v.trim()] : []);
