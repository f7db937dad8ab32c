// Amount, time and text formatting shared by the pages and the embed script.

/** `amount` base units of a token with `decimals` as a decimal string without trailing zeros. */
export function formatUnits(amount: bigint, decimals: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const frac = decimals ? digits.slice(digits.length - decimals).replace(/0+$/, '') : '';
  return `${negative ? '-' : ''}${whole}${frac ? '.' + frac : ''}`;
}

/** USD cents from base units and a USD price per whole token (null when unknown). */
export function fiatCents(amount: bigint, decimals: number, usdPerToken: number | undefined): number | null {
  if (usdPerToken === undefined || !Number.isFinite(usdPerToken) || usdPerToken <= 0) return null;
  return Math.round((Number(amount) / 10 ** decimals) * usdPerToken * 100);
}

export function formatUsd(cents: number): string {
  return (cents / 100).toLocaleString('en-US', { style: 'currency', currency: 'USD' });
}

/** "mm:ss" (or "h:mm:ss") until `deadlineNs`; "0:00" once passed. */
export function countdown(deadlineNs: bigint, nowMs: number = Date.now()): string {
  const left = Math.max(0, Math.floor(Number(deadlineNs / 1_000_000n) - nowMs) / 1000);
  const s = Math.floor(left);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** The success URL with Stripe's `{CHECKOUT_SESSION_ID}` placeholder filled in. */
export function successUrl(url: string, sessionId: string): string {
  return url.split('{CHECKOUT_SESSION_ID}').join(encodeURIComponent(sessionId));
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

/** Only http(s) URLs may become links or redirects (no javascript: from canister data). */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** Copy text to the clipboard (execCommand fallback where the Clipboard API is refused). */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}
