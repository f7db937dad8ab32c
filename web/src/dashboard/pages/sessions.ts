// Checkout sessions: the list with status (list_checkout_sessions), a test session created
// from the dashboard (create_checkout_session_with_options) and its hosted page link
// (the session's `url`) to copy.
import type { HostedCheckoutSession } from '../../generated/user_payment_canister.idl';
import { opt } from '../../lib/ic';
import { type Ctx, act, badge, copyText, decimalsOf, h, money, ok, optText, parseUnits, table, when } from '../context';

const statusOf = (s: HostedCheckoutSession) => Object.keys(s.status)[0];

export async function sessions(ctx: Ctx, el: HTMLElement): Promise<void> {
  const loaded: HostedCheckoutSession[] = [];
  let cursor: [] | [string] = [];
  const profile = await ctx.merchant.get_public_merchant_profile();
  const site = opt(profile.website) ?? 'https://example.com';
  el.innerHTML = `<h1>Checkout sessions</h1>
    <div class="panel"><h2>Create a test session</h2>
      <form class="inline" id="create">
        <label>Amount <input name="amount" value="0.1" inputmode="decimal" required size="8"></label>
        <label>Token <select name="token">${ctx.tokens.filter((t) => t.enabled).map((t) => `<option>${h(t.symbol)}</option>`).join('')}</select></label>
        <label>Success URL <input name="success" value="${h(site)}/thanks?session={CHECKOUT_SESSION_ID}"></label>
        <label>Cancel URL <input name="cancel" value="${h(site)}/cart"></label>
        <label>Reference <input name="ref" placeholder="order id"></label>
        <button class="primary">Create session</button>
      </form>
      <div id="created"></div></div>
    <form class="inline toolbar" id="filters"><label>Status <select name="status"><option value="">All</option><option>open</option><option>complete</option><option>expired</option></select></label></form>
    <div id="list"></div><p><button id="more">Load more</button></p>`;
  const filters = el.querySelector<HTMLFormElement>('#filters')!;
  const draw = () => {
    const want = (filters.elements.namedItem('status') as HTMLSelectElement).value;
    const rows = loaded.filter((s) => !want || statusOf(s) === want);
    el.querySelector('#list')!.innerHTML = table(['Amount', 'Status', 'Session', 'Received', 'Created', 'Link'], rows.map((s) => [
      `<strong>${h(money(ctx, s.amount, s.currency_token))}</strong>`, badge(statusOf(s)), `<code>${h(s.session_id)}</code>`,
      h(money(ctx, s.amount_received, s.currency_token)), h(when(s.created_at)),
      opt(s.url) ? `<button data-copy="${h(opt(s.url)!)}">Copy link</button>` : '—']));
    el.querySelectorAll<HTMLButtonElement>('[data-copy]').forEach((b) => b.addEventListener('click', async () => {
      await copyText(b.dataset.copy!); b.textContent = 'Copied';
    }));
  };
  const load = async () => {
    const page = ok(await ctx.merchant.list_checkout_sessions(cursor, [20]));
    loaded.push(...page.sessions);
    cursor = page.next_cursor;
    el.querySelector<HTMLButtonElement>('#more')!.hidden = cursor.length === 0;
    draw();
  };
  filters.addEventListener('input', draw);
  el.querySelector('#more')!.addEventListener('click', () => load());
  const form = el.querySelector<HTMLFormElement>('#create')!;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value;
    let created: HostedCheckoutSession | undefined;
    await act(el, form.querySelector('button'), async () => {
      created = ok(await ctx.merchant.create_checkout_session_with_options({
        modal_config_id: [], amount: parseUnits(v('amount'), decimalsOf(ctx, v('token'))), currency_token: v('token'),
        metadata: [{ key: 'source', value: 'dashboard test' }], customer_email: [], client_reference_id: optText(v('ref')),
        success_url: optText(v('success')), cancel_url: optText(v('cancel')), expires_in_seconds: [], idempotency_key: [],
        custom_domain: [], line_items: [],
      }));
      return `Created ${created.session_id}.`;
    });
    if (created) {
      const url = opt(created.url) ?? '';
      el.querySelector('#created')!.innerHTML = `<p>Hosted page: <a href="${h(url)}" target="_blank" rel="noopener" data-session-url>${h(url)}</a>
        <button data-copy-new>Copy link</button></p>`;
      el.querySelector<HTMLButtonElement>('[data-copy-new]')!.addEventListener('click', async (e) => {
        await copyText(url); (e.target as HTMLButtonElement).textContent = 'Copied';
      });
      loaded.unshift(created);
      draw();
    }
  });
  await load();
}
