// One-click: the program's figures (get_merchant_one_click_analytics), the pre-authorizations
// customers gave (found through the event log's `one_click.authorization.created` events,
// each read with get_pre_authorization), revoking one, and a customer's payment profile.
import { Principal } from '@icp-sdk/core/principal';
import type { MerchantEventPage, PreAuthorizedPayment } from '../../generated/user_payment_canister.idl';
import { type Ctx, act, badge, h, money, ok, short, table, when } from '../context';

export async function oneClick(ctx: Ctx, el: HTMLElement): Promise<void> {
  const [stats, created] = await Promise.all([
    ctx.merchant.get_merchant_one_click_analytics().then(ok),
    ctx.merchant.list_events([], [50], ['one_click.authorization.created']).then(ok) as Promise<MerchantEventPage>,
  ]);
  const auths: PreAuthorizedPayment[] = [];
  for (const e of created.events) {
    const res = await ctx.merchant.get_pre_authorization(e.object_id);
    if ('Ok' in res) auths.push(res.Ok);
  }
  el.innerHTML = `<h1>One-click payments</h1>
    <div class="cards">
      <div class="card"><div class="label">Profiles</div><div class="value">${stats.total_profiles}</div></div>
      <div class="card"><div class="label">Active pre-authorizations</div><div class="value" data-metric="active_auths">${stats.active_authorizations}</div></div>
      <div class="card"><div class="label">Revoked</div><div class="value">${stats.revoked_authorizations}</div></div>
      <div class="card"><div class="label">Charges</div><div class="value">${stats.successful_charges} ok · ${stats.declined_charges} declined</div></div>
      <div class="card"><div class="label">Payment network</div><div class="value">${stats.registered_with_network ? 'registered' : 'not registered'}</div></div>
    </div>
    <h2>Pre-authorizations</h2>
    ${table(['Customer', 'Max per payment', 'Uses left', 'Charged', 'Status', 'Expires', ''], auths.map((a) => [
      `<code>${h(short(a.customer_principal.toText()))}</code>`, h(money(ctx, a.max_amount, a.token_symbol)), String(a.uses_remaining),
      h(money(ctx, a.total_charged, a.token_symbol)), badge(a.status), h(when(a.expires_at)),
      a.status === 'active' ? `<button class="danger" data-revoke="${h(a.auth_id)}">Revoke</button>` : '']))}
    <h2>Customer profile</h2>
    <form class="inline" id="profile"><label>Customer principal <input name="p" required size="40"></label><button>Look up</button></form>
    <div id="profile-out"></div>`;
  el.querySelectorAll<HTMLButtonElement>('[data-revoke]').forEach((b) => b.addEventListener('click', async () => {
    const done = await act(el, b, async () => {
      ok(await ctx.merchant.revoke_authorization(b.dataset.revoke!));
      return `Revoked ${b.dataset.revoke}.`;
    });
    if (done) await ctx.refresh(done);
  }));
  const form = el.querySelector<HTMLFormElement>('#profile')!;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await act(el, form.querySelector('button'), async () => {
      const text = (form.elements.namedItem('p') as HTMLInputElement).value.trim();
      const p = ok(await ctx.merchant.get_payment_profile(Principal.fromText(text)));
      el.querySelector('#profile-out')!.innerHTML = `<div class="panel"><dl class="kv">
        <dt>Profile</dt><dd><code>${h(p.profile_id)}</code></dd><dt>Created</dt><dd>${h(when(p.created_at))}</dd>
        <dt>Preferred tokens</dt><dd>${h(p.preferred_tokens.join(', ') || '—')}</dd>
        <dt>Spending limits</dt><dd>${h(p.spending_limits.map((l) => JSON.stringify(l, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).join('; ') || '—')}</dd></dl></div>`;
      return 'Profile found.';
    });
  });
}
