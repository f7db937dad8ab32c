// The one stylesheet of the checkout UI (hosted page, modal, elements), as a string so the
// embed script can put it in its shadow roots. Only `--ckpay-*` variables carry the theme;
// every use has a default, so unset variables fall back and set ones inherit from the page.
export const CHECKOUT_CSS = `
.ckpay-card [hidden] { display: none !important; }
.ckpay-card { font-family: var(--ckpay-font, Inter, system-ui, sans-serif); color: var(--ckpay-text, #111827);
  background: var(--ckpay-background, #fff); border-radius: var(--ckpay-radius, 12px);
  box-shadow: 0 10px 40px rgba(15,23,42,.18); padding: 28px; max-width: 440px;
  margin: 0 auto; box-sizing: border-box; line-height: 1.45; }
.ckpay-card * { box-sizing: border-box; }
.ckpay-brand { display: flex; align-items: center; gap: 12px; margin-bottom: 18px; }
.ckpay-brand img { width: 40px; height: 40px; border-radius: 8px; object-fit: cover; }
.ckpay-brand .ckpay-logo { width: 40px; height: 40px; border-radius: 8px; display: grid;
  place-items: center; background: var(--ckpay-accent, #4f46e5); color: #fff; font-weight: 700; }
.ckpay-brand h1 { font-size: 18px; margin: 0; }
.ckpay-brand small { color: var(--ckpay-muted, #6b7280); }
.ckpay-amount { font-size: 30px; font-weight: 700; margin: 4px 0 0; }
.ckpay-fiat { color: var(--ckpay-muted, #6b7280); margin-bottom: 14px; }
.ckpay-label { font-size: 12px; text-transform: uppercase; letter-spacing: .06em;
  color: var(--ckpay-muted, #6b7280); margin: 14px 0 6px; }
label.ckpay-label { display: block; }
.ckpay-select { display: block; width: 100%; font: inherit; padding: 10px; color: var(--ckpay-text, #111827);
  background: var(--ckpay-surface, #f3f4f6); border: 1px solid var(--ckpay-muted, #d1d5db);
  border-radius: calc(var(--ckpay-radius, 12px) / 2); }
.ckpay-account { display: flex; gap: 8px; align-items: stretch; }
.ckpay-account code { flex: 1; background: var(--ckpay-surface, #f3f4f6); padding: 10px;
  border-radius: calc(var(--ckpay-radius, 12px) / 2); font-size: 12px; word-break: break-all; }
.ckpay-qr { display: block; margin: 12px auto; width: 168px; height: 168px;
  border-radius: 8px; background: #fff; padding: 6px; }
.ckpay-btn { font: inherit; cursor: pointer; border: 0; text-decoration: none; display: inline-block; padding: 12px 18px;
  border-radius: var(--ckpay-radius, 12px); background: var(--ckpay-primary, #4f46e5); color: #fff;
  font-weight: 600; }
.ckpay-btn[disabled] { opacity: .6; cursor: progress; }
.ckpay-btn.ckpay-secondary { background: var(--ckpay-surface, #f3f4f6); color: var(--ckpay-text, #111827); }
.ckpay-btn.ckpay-block { width: 100%; margin-top: 14px; }
.ckpay-row { display: flex; justify-content: space-between; align-items: center; gap: 12px;
  margin-top: 14px; }
.ckpay-status { display: flex; align-items: center; gap: 8px; }
.ckpay-dot { width: 10px; height: 10px; border-radius: 50%; background: #f59e0b;
  animation: ckpay-pulse 1.4s infinite; }
.ckpay-status[data-state="complete"] .ckpay-dot { background: #10b981; animation: none; }
.ckpay-status[data-state="error"] .ckpay-dot { background: #ef4444; animation: none; }
@keyframes ckpay-pulse { 50% { opacity: .3; } }
.ckpay-countdown { font-variant-numeric: tabular-nums; color: var(--ckpay-muted, #6b7280); }
.ckpay-notice { text-align: center; padding: 12px 0; }
.ckpay-notice h2 { margin: 8px 0; }
.ckpay-notice .ckpay-icon { display: flex; justify-content: center; }
.ckpay-error { color: #b91c1c; font-size: 14px; margin-top: 10px; }
.ckpay-select { font: inherit; padding: 10px; border-radius: calc(var(--ckpay-radius, 12px) / 2);
  border: 1px solid var(--ckpay-surface, #f3f4f6); background: var(--ckpay-background, #fff);
  color: var(--ckpay-text, #111827); width: 100%; }
.ckpay-overlay { position: fixed; inset: 0; background: rgba(15,23,42,.55);
  display: flex; align-items: center; justify-content: center; z-index: 2147483000;
  padding: 16px; overflow: auto; }
.ckpay-overlay .ckpay-card { position: relative; width: 100%; }
.ckpay-close { position: absolute; top: 10px; right: 12px; background: none; border: 0;
  font-size: 22px; cursor: pointer; color: var(--ckpay-muted, #6b7280); }
.ckpay-items { list-style: none; margin: 0 0 8px; padding: 0 0 10px; border-bottom: 1px solid var(--ckpay-surface, #e5e7eb); }
.ckpay-items li { display: flex; justify-content: space-between; gap: 12px; padding: 4px 0; font-size: 14px; }
.ckpay-stack { display: flex; flex-direction: column; align-items: center; gap: 10px; width: 100%; max-width: 440px; margin: auto; }
.ckpay-wallets { font-family: var(--ckpay-font, Inter, system-ui, sans-serif); font-size: 13px;
  background: var(--ckpay-background, #fff); color: var(--ckpay-text, #111827);
  border-radius: calc(var(--ckpay-radius, 12px) / 2); padding: 8px 10px; text-align: center; width: 100%;
  box-sizing: border-box; overflow-wrap: anywhere; }
.ckpay-wallets button { font: inherit; border: 1px solid var(--ckpay-muted, #cbd5e1); background: transparent;
  color: inherit; border-radius: 8px; padding: 5px 10px; margin: 3px; cursor: pointer; }
.ckpay-wallet-error { color: #b91c1c; margin-top: 6px; }
.ckpay-footer { margin-top: 18px; font-size: 12px; color: var(--ckpay-muted, #6b7280); text-align: center; }
`;
