// Appearance: a modal's theme and branding (from the merchant canister) become CSS custom
// properties (`--ckpay-*`). Every component reads only these variables, so a merchant can
// also override them from the page's own CSS (custom properties inherit into shadow roots).
import type { BrandingConfig, ModalTheme } from '../generated/user_payment_canister.idl';

export const DEFAULT_THEME: ModalTheme = {
  primary_color: '#4f46e5',
  background_color: '#ffffff',
  text_color: '#111827',
  font_family: 'Inter, system-ui, sans-serif',
  border_radius: 12,
  dark_mode: false,
};

export const DEFAULT_BRANDING: BrandingConfig = {
  company_name: 'ckPayment checkout',
  button_text: 'Pay with crypto',
  accent_color: '#4f46e5',
  logo_url: [],
  support_url: [],
};

export type Appearance = Record<string, string>;

const COLOR = /^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;
const SAFE_VALUE = /^[^<>{};"'`\\]{1,100}$/;

/** CSS variables of a theme; values that are not plain CSS values are dropped. */
export function themeVariables(theme: ModalTheme, branding?: BrandingConfig): Appearance {
  const vars: Appearance = {
    '--ckpay-primary': theme.primary_color,
    '--ckpay-background': theme.dark_mode ? '#0f172a' : theme.background_color,
    '--ckpay-text': theme.dark_mode ? '#f1f5f9' : theme.text_color,
    '--ckpay-muted': theme.dark_mode ? '#94a3b8' : '#6b7280',
    '--ckpay-surface': theme.dark_mode ? '#1e293b' : '#f3f4f6',
    '--ckpay-font': theme.font_family,
    '--ckpay-radius': `${Math.min(64, theme.border_radius)}px`,
    '--ckpay-accent': branding?.accent_color ?? theme.primary_color,
  };
  return Object.fromEntries(Object.entries(vars).filter(([k, v]) =>
    k === '--ckpay-font' || k === '--ckpay-radius' ? SAFE_VALUE.test(v) : COLOR.test(v)));
}

/** Element theme overrides (`primary_color` -> `--ckpay-primary`, `border_radius` ->
 * `--ckpay-radius`, any other key -> `--ckpay-<key with dashes>`). */
export function overrideVariables(pairs: Array<{ key: string; value: string }>): Appearance {
  const names: Record<string, string> = {
    primary_color: '--ckpay-primary', background_color: '--ckpay-background',
    text_color: '--ckpay-text', font_family: '--ckpay-font', border_radius: '--ckpay-radius',
    accent_color: '--ckpay-accent',
  };
  const out: Appearance = {};
  for (const { key, value } of pairs) {
    if (!SAFE_VALUE.test(value) || !/^[a-z][a-z0-9_]{0,40}$/.test(key)) continue;
    out[names[key] ?? `--ckpay-${key.replace(/_/g, '-')}`] = value;
  }
  return out;
}

/** The variables as a CSS declaration block for `:host` / `:root`. */
export function cssBlock(selector: string, vars: Appearance): string {
  return `${selector}{${Object.entries(vars).map(([k, v]) => `${k}:${v}`).join(';')}}`;
}

export function applyVariables(el: HTMLElement, vars: Appearance): void {
  for (const [k, v] of Object.entries(vars)) el.style.setProperty(k, v);
}
