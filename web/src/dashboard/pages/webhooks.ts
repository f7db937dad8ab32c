// Webhooks: endpoints (list_webhooks), a new endpoint (configure_webhook), each endpoint's
// delivery attempts (list_webhook_attempts) and stats, a test event (test_webhook), secret
// rotation (rotate_webhook_secret), resending an event (resend_webhook_event), and the event
// log (list_events).
import type { MerchantEventPage, WebhookConfig } from '../../generated/user_payment_canister.idl';
import { opt } from '../../lib/ic';
import { type Ctx, act, badge, h, ok, table, when } from '../context';

function emptyStats() {
  return { failed_attempts: 0n, failed_deliveries: 0n, total_deliveries: 0n, successful_deliveries: 0n,
    last_success_at: [] as [], last_attempt_at: [] as [], pending_deliveries: 0n, last_status_code: [] as [], total_attempts: 0n };
}

export async function webhooks(ctx: Ctx, el: HTMLElement, param?: string): Promise<void> {
  if (param) return endpoint(ctx, el, decodeURIComponent(param));
  const [hooks, events] = await Promise.all([
    ctx.merchant.list_webhooks().then(ok),
    ctx.merchant.list_events([], [25], []).then(ok) as Promise<MerchantEventPage>,
  ]);
  el.innerHTML = `<h1>Webhooks</h1>
    ${table(['Endpoint', 'Events', 'Status', 'Delivered', 'Failed', 'Last status'], hooks.map((w) => [
      `<code>${h(w.url)}</code>`, h(w.events.join(', ')), badge(w.active ? 'active' : 'disabled'),
      String(w.delivery_stats.successful_deliveries), String(w.delivery_stats.failed_deliveries),
      opt(w.delivery_stats.last_status_code)?.toString() ?? '—']), hooks.map((w) => w.webhook_id))}
    <div class="panel"><h2>Add an endpoint</h2><form class="inline" id="add">
      <label>URL <input name="url" type="url" required placeholder="https://shop.example.com/webhooks" size="36"></label>
      <label>Events <input name="events" value="*" placeholder="checkout.session.completed, payment.refunded"></label>
      <button class="primary">Add endpoint</button></form></div>
    <h2>Events</h2>
    ${table(['Type', 'Object', 'Deliveries', 'Event', 'Date'], events.events.map((e) => [
      h(e.event_type), `<code>${h(e.object_id)}</code>`, String(e.deliveries), `<code>${h(e.event_id)}</code>`, h(when(e.created_at))]))}`;
  el.querySelectorAll<HTMLElement>('tr[data-id]').forEach((tr) => tr.addEventListener('click', () => {
    location.hash = `#/webhooks/${encodeURIComponent(tr.dataset.id!)}`;
  }));
  const form = el.querySelector<HTMLFormElement>('#add')!;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value;
    const config: WebhookConfig = { webhook_id: '', url: v('url').trim(), events: v('events').split(',').map((x) => x.trim()).filter(Boolean),
      secret: '', active: true, delivery_stats: emptyStats(), previous_secret: [], previous_secret_expires_at: [], created_at: 0n, updated_at: 0n };
    let id = '';
    const done = await act(el, form.querySelector('button'), async () => {
      id = ok(await ctx.merchant.configure_webhook(config));
      return `Added ${id}.`;
    });
    if (done) location.hash = `#/webhooks/${encodeURIComponent(id)}`;
  });
}

async function endpoint(ctx: Ctx, el: HTMLElement, id: string): Promise<void> {
  const [w, attempts] = await Promise.all([ctx.merchant.get_webhook(id).then(ok), ctx.merchant.list_webhook_attempts(id, [50]).then(ok)]);
  const s = w.delivery_stats;
  el.innerHTML = `<p><a href="#/webhooks">← Webhooks</a></p><h1><code>${h(w.url)}</code></h1>
    <div class="toolbar"><button id="test" class="primary">Send a test event</button>
      <button id="rotate">Rotate secret</button></div>
    <div class="panel"><dl class="kv">
      <dt>Endpoint</dt><dd><code>${h(w.webhook_id)}</code></dd><dt>Events</dt><dd>${h(w.events.join(', '))}</dd>
      <dt>Signing secret</dt><dd><code data-secret>${h(w.secret)}</code></dd>
      <dt>Previous secret</dt><dd>${opt(w.previous_secret) ? `valid until ${h(when(opt(w.previous_secret_expires_at)!))}` : '—'}</dd>
      <dt>Deliveries</dt><dd data-deliveries>${s.successful_deliveries} delivered · ${s.failed_deliveries} failed · ${s.pending_deliveries} pending</dd>
      <dt>Attempts</dt><dd>${s.total_attempts} (${s.failed_attempts} failed)</dd></dl></div>
    <h2>Delivery attempts</h2>
    <div data-attempts>${table(['Event', 'Attempt', 'Result', 'HTTP status', 'Error', 'Date', ''], attempts.map((a) => [
      `<code>${h(a.event_id)}</code>`, String(a.attempt), badge(a.success ? 'success' : 'failed'),
      opt(a.status_code)?.toString() ?? '—', h(opt(a.error) ?? ''), h(when(a.attempted_at)),
      a.event_id.startsWith('evt_') ? `<button data-resend="${h(a.event_id)}">Resend</button>` : '']))}</div>
    <p class="muted">Failed deliveries are retried by the canister with backoff for 3 days; <em>Resend</em> sends an event again now.</p>`;
  el.querySelectorAll<HTMLButtonElement>('[data-resend]').forEach((b) => b.addEventListener('click', async () => {
    const done = await act(el, b, async () => {
      const delivery = ok(await ctx.merchant.resend_webhook_event(id, b.dataset.resend!));
      return `Resent ${b.dataset.resend} (delivery ${delivery}).`;
    });
    if (done) await ctx.refresh(done);
  }));
  el.querySelector<HTMLButtonElement>('#test')!.addEventListener('click', async (ev) => {
    const done = await act(el, ev.target as HTMLButtonElement, async () => {
      const r = ok(await ctx.merchant.test_webhook(id));
      if (!r.success) throw new Error(`The test event was not accepted: ${opt(r.error) ?? `HTTP ${opt(r.status_code) ?? '?'}`}`);
      return `Test event ${r.event_id} delivered (HTTP ${opt(r.status_code) ?? '?'}).`;
    });
    if (done) await ctx.refresh(done);
  });
  el.querySelector<HTMLButtonElement>('#rotate')!.addEventListener('click', async (ev) => {
    const done = await act(el, ev.target as HTMLButtonElement, async () => {
      ok(await ctx.merchant.rotate_webhook_secret(id, []));
      return 'New secret; the previous one stays valid for 24 hours.';
    });
    if (done) await ctx.refresh(done);
  });
}
