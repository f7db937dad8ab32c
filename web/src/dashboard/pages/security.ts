// Security: the risk configuration (get_security_config), the blocklist and blocking an
// address (block_address_for_merchant), alerts (get_security_alerts), and a customer's
// verification status (get_customer_verification_status).
import { Principal } from '@icp-sdk/core/principal';
import { type Ctx, act, badge, h, ok, table, when } from '../context';

export async function security(ctx: Ctx, el: HTMLElement): Promise<void> {
  const [config, alerts] = await Promise.all([ctx.merchant.get_security_config().then(ok), ctx.merchant.get_security_alerts().then(ok)]);
  const limits = config.custom_rate_limits;
  const prefs = config.verification_preferences;
  el.innerHTML = `<h1>Security</h1>
    <div class="panel"><h2>Configuration</h2><dl class="kv">
      <dt>Risk tolerance</dt><dd>${h(Object.keys(config.risk_tolerance)[0])}</dd>
      <dt>Second factor above</dt><dd>${config.require_2fa_over}</dd>
      <dt>Allowed countries</dt><dd>${h(config.allowed_countries.join(', ') || 'all')}</dd>
      <dt>Payments per hour / day</dt><dd>${limits.max_payments_per_hour} / ${limits.max_payments_per_day}</dd>
      <dt>Verification</dt><dd>${[prefs.email_enabled && 'email', prefs.sms_enabled && 'SMS', prefs.totp_enabled && 'TOTP'].filter(Boolean).join(', ') || 'off'}
        · ${prefs.max_attempts} attempts · codes valid ${prefs.code_ttl_seconds} s</dd></dl></div>
    <h2>Blocklist</h2>
    ${table(['Address'], config.merchant_blocked_addresses.map((a) => [`<code>${h(a)}</code>`]))}
    <form class="inline" id="block"><label>Principal or account <input name="address" required size="40"></label>
      <label>Reason <input name="reason" required value="fraud"></label><button class="danger">Block</button></form>
    <h2>Alerts</h2>
    ${table(['Severity', 'Type', 'Message', 'Customer', 'Date'], alerts.map((a) => [
      badge(a.severity), h(a.alert_type), h(a.message), a.customer.length ? `<code>${h(a.customer[0].toText())}</code>` : '—', h(when(a.created_at))]))}
    <h2>Verification status</h2>
    <form class="inline" id="verify"><label>Customer principal <input name="p" required size="40"></label><button>Check</button></form>`;
  const block = el.querySelector<HTMLFormElement>('#block')!;
  block.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = (n: string) => (block.elements.namedItem(n) as HTMLInputElement).value.trim();
    const done = await act(el, block.querySelector('button'), async () => {
      ok(await ctx.merchant.block_address_for_merchant(v('address'), v('reason')));
      return `Blocked ${v('address')}.`;
    });
    if (done) await ctx.refresh(done);
  });
  const verify = el.querySelector<HTMLFormElement>('#verify')!;
  verify.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await act(el, verify.querySelector('button'), async () => {
      const p = Principal.fromText((verify.elements.namedItem('p') as HTMLInputElement).value.trim());
      return `Verification status: ${Object.keys(ok(await ctx.merchant.get_customer_verification_status(p)))[0]}.`;
    });
  });
}
