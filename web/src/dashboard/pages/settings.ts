// Settings: accepted tokens (get_accepted_tokens, set_token_enabled, add_token,
// refresh_token), token preferences (get_merchant_token_preferences), and where the hosted
// checkout page is served (set_hosted_page_base_url: new sessions' `url`).
import { Principal } from '@icp-sdk/core/principal';
import { type Ctx, act, badge, h, money, ok, table } from '../context';

export async function settings(ctx: Ctx, el: HTMLElement): Promise<void> {
  const [tokens, prefs, profile] = await Promise.all([ctx.merchant.get_accepted_tokens(), ctx.merchant.get_merchant_token_preferences(),
    ctx.merchant.get_public_merchant_profile()]);
  el.innerHTML = `<h1>Settings</h1>
    <h2>Tokens</h2>
    ${table(['Token', 'Ledger', 'Fee', 'Status', ''], tokens.map((t) => [
      `<strong>${h(t.symbol)}</strong> ${h(t.name)}`, `<code>${h(t.ledger_canister_id.toText())}</code>`, h(money(ctx, t.fee, t.symbol)),
      badge(t.enabled ? (t.verified ? 'active' : 'pending') : 'disabled'),
      `<button data-toggle="${h(t.symbol)}" data-enabled="${t.enabled}">${t.enabled ? 'Disable' : 'Enable'}</button> <button data-refresh="${h(t.symbol)}">Refresh</button>`]))}
    <form class="inline" id="add-token"><label>Ledger canister <input name="ledger" required size="30"></label><button>Add token</button></form>
    <h2>Preferences</h2>
    <div class="panel"><dl class="kv">
      <dt>Preferred tokens</dt><dd>${h(prefs.preferred_tokens.join(', ') || '—')}</dd>
      <dt>Priorities</dt><dd>${h(prefs.token_priorities.map((p) => `${p.key}: ${p.value}`).join(', ') || '—')}</dd>
      <dt>Minimum amounts</dt><dd>${h(prefs.minimum_amounts.map((m) => money(ctx, m.value, m.key)).join(', ') || '—')}</dd>
      <dt>Auto-convert to</dt><dd>${h(prefs.auto_convert_to[0] ?? '—')}</dd></dl></div>
    <h2>Hosted checkout page</h2>
    <form class="inline" id="hosted"><label>Origin <input name="url" value="${h(profile.hosted_page_base_url)}" size="40" required></label>
      <button class="primary">Save</button></form>
    <p class="muted">New checkout sessions link to <code>${h(profile.hosted_page_base_url)}/pay/&lt;session id&gt;</code>.</p>`;
  el.querySelectorAll<HTMLButtonElement>('[data-toggle]').forEach((b) => b.addEventListener('click', async () => {
    const done = await act(el, b, async () => {
      ok(await ctx.merchant.set_token_enabled(b.dataset.toggle!, b.dataset.enabled !== 'true'));
      return `${b.dataset.toggle} ${b.dataset.enabled === 'true' ? 'disabled' : 'enabled'}.`;
    });
    if (done) await ctx.refresh(done);
  }));
  el.querySelectorAll<HTMLButtonElement>('[data-refresh]').forEach((b) => b.addEventListener('click', async () => {
    const done = await act(el, b, async () => { ok(await ctx.merchant.refresh_token(b.dataset.refresh!)); return `${b.dataset.refresh} refreshed from its ledger.`; });
    if (done) await ctx.refresh(done);
  }));
  const add = el.querySelector<HTMLFormElement>('#add-token')!;
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const done = await act(el, add.querySelector('button'), async () => {
      const t = ok(await ctx.merchant.add_token(Principal.fromText((add.elements.namedItem('ledger') as HTMLInputElement).value.trim())));
      return `Added ${t.symbol}.`;
    });
    if (done) await ctx.refresh(done);
  });
  const hosted = el.querySelector<HTMLFormElement>('#hosted')!;
  hosted.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const done = await act(el, hosted.querySelector('button'), async () => {
      ok(await ctx.merchant.set_hosted_page_base_url((hosted.elements.namedItem('url') as HTMLInputElement).value.trim()));
      return 'Saved.';
    });
    if (done) await ctx.refresh(done);
  });
}
