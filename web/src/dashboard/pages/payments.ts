// Payments: the paginated list (list_payments, newest first) with filters, a payment's detail
// with its ledger blocks and refunds, and a refund of an amount with a reason (owners).
import type { PaymentRecord, RefundPage, RefundRecord } from '../../generated/user_payment_canister.idl';
import { opt } from '../../lib/ic';
import { type Ctx, act, badge, decimalsOf, h, money, ok, optText, parseUnits, short, table, when } from '../context';

const PAGE = 20;

function status(p: PaymentRecord): string {
  if (p.refunded === 0n) return 'succeeded';
  return p.refunded >= p.amount ? 'refunded' : 'partially refunded';
}

export async function payments(ctx: Ctx, el: HTMLElement, param?: string): Promise<void> {
  if (param) return detail(ctx, el, decodeURIComponent(param));
  const loaded: PaymentRecord[] = [];
  let cursor: [] | [string] = [];
  let more = true;
  el.innerHTML = `<h1>Payments</h1>
    <form class="inline toolbar" id="filters">
      <label>Token <select name="token"><option value="">All</option>${ctx.tokens.map((t) => `<option>${h(t.symbol)}</option>`).join('')}</select></label>
      <label>Method <select name="method"><option value="">All</option><option value="icrc1">ICRC-1 transfer</option><option value="icrc2">ICRC-2 approve</option><option value="one_click">One-click</option></select></label>
      <label>Status <select name="status"><option value="">All</option><option>succeeded</option><option>partially refunded</option><option>refunded</option></select></label>
      <label>Search <input name="q" placeholder="payment, session or reference"></label>
    </form>
    <div id="list"></div>
    <p><button id="more">Load more</button> <span class="muted" id="count"></span></p>`;
  const form = el.querySelector<HTMLFormElement>('#filters')!;
  const value = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value;
  const draw = () => {
    const q = value('q').trim().toLowerCase();
    const rows = loaded.filter((p) => (!value('token') || p.token_symbol === value('token'))
      && (!value('method') || p.method === value('method')) && (!value('status') || status(p) === value('status'))
      && (!q || [p.payment_id, p.session_id, opt(p.client_reference_id) ?? ''].some((x) => x.toLowerCase().includes(q))));
    el.querySelector('#list')!.innerHTML = table(['Amount', 'Status', 'Method', 'Payment', 'Customer', 'Date'], rows.map((p) => [
      `<strong>${h(money(ctx, p.amount, p.token_symbol))}</strong>`, badge(status(p)), h(p.method),
      `<code>${h(p.payment_id)}</code>`, opt(p.payer) ? `<code>${h(short(opt(p.payer)!.owner.toText()))}</code>` : '—', h(when(p.created_at)),
    ]), rows.map((p) => p.payment_id));
    el.querySelectorAll<HTMLElement>('tr[data-id]').forEach((tr) => tr.addEventListener('click', () => {
      location.hash = `#/payments/${encodeURIComponent(tr.dataset.id!)}`;
    }));
    el.querySelector('#count')!.textContent = `${rows.length} shown of ${loaded.length} loaded${more ? '' : ' (all)'}`;
  };
  const load = async () => {
    const page = ok(await ctx.merchant.list_payments(cursor, [PAGE]));
    loaded.push(...page.payments);
    cursor = page.next_cursor;
    more = cursor.length > 0;
    el.querySelector<HTMLButtonElement>('#more')!.hidden = !more;
    draw();
  };
  form.addEventListener('input', draw);
  el.querySelector('#more')!.addEventListener('click', () => load());
  await load();
}

async function refundsOf(ctx: Ctx, paymentId: string): Promise<RefundRecord[]> {
  const out: RefundRecord[] = [];
  let cursor: [] | [string] = [];
  for (let i = 0; i < 20; i++) { // refunds are few; 20 pages of 100 bounds the walk
    const page: RefundPage = ok(await ctx.merchant.list_refunds(cursor, [100]));
    out.push(...page.refunds.filter((r) => opt(r.payment_id) === paymentId));
    cursor = page.next_cursor;
    if (!cursor.length) break;
  }
  return out;
}

async function detail(ctx: Ctx, el: HTMLElement, id: string): Promise<void> {
  const [p, refunds] = await Promise.all([ctx.merchant.get_payment(id).then(ok), refundsOf(ctx, id)]);
  const refundable = p.refunded + p.refund_pending < p.amount;
  const block = (b: [] | [bigint]) => (b.length ? `<code data-block>${b[0]}</code>` : '—');
  el.innerHTML = `<p><a href="#/payments">← Payments</a></p><h1>${h(money(ctx, p.amount, p.token_symbol))} ${badge(status(p))}</h1>
    <div class="panel"><dl class="kv" data-payment="${h(p.payment_id)}">
      <dt>Payment</dt><dd><code>${h(p.payment_id)}</code></dd>
      <dt>Checkout session</dt><dd><code>${h(p.session_id)}</code></dd>
      <dt>Method</dt><dd>${h(p.method)}</dd>
      <dt>Customer</dt><dd>${opt(p.payer) ? `<code>${h(opt(p.payer)!.owner.toText())}</code>` : '—'}</dd>
      <dt>Expected</dt><dd>${h(money(ctx, p.expected_amount, p.token_symbol))}</dd>
      <dt>Overpaid</dt><dd>${h(money(ctx, p.overpaid, p.token_symbol))}</dd>
      <dt>Fee</dt><dd>${h(money(ctx, p.fee, p.token_symbol))}</dd>
      <dt>Net</dt><dd>${h(money(ctx, p.net_amount, p.token_symbol))}</dd>
      <dt>Refunded</dt><dd data-refunded>${h(money(ctx, p.refunded, p.token_symbol))}</dd>
      <dt>Ledger</dt><dd><code>${h(p.ledger_canister_id.toText())}</code></dd>
      <dt>Payment block</dt><dd data-payment-block>${block(p.ledger_block)}</dd>
      <dt>Sweep block</dt><dd>${block(p.sweep_block)}</dd>
      <dt>Reference</dt><dd>${h(opt(p.client_reference_id) ?? '—')}</dd>
      <dt>Date</dt><dd>${h(when(p.created_at))}</dd></dl></div>
    <h2>Refund</h2>
    <form class="inline" id="refund">
      <label>Amount (${h(p.token_symbol)}) <input name="amount" placeholder="all that is left" inputmode="decimal"></label>
      <label>Reason <input name="reason" maxlength="200" placeholder="requested_by_customer"></label>
      <button class="danger"${refundable ? '' : ' disabled'}>Refund</button>
    </form>
    <h2>Refunds</h2>
    ${table(['Amount', 'Reason', 'Ledger block', 'To', 'Date'], refunds.map((r) => [
      h(money(ctx, r.amount, r.token_symbol)), h(opt(r.reason) ?? '—'), `<code data-refund-block>${r.ledger_block}</code>`,
      `<code>${h(short(r.to.owner.toText()))}</code>`, h(when(r.created_at))]))}`;
  const form = el.querySelector<HTMLFormElement>('#refund')!;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const amountText = (form.elements.namedItem('amount') as HTMLInputElement).value.trim();
    const reason = (form.elements.namedItem('reason') as HTMLInputElement).value;
    const done = await act(el, form.querySelector('button'), async () => {
      const amount: [] | [bigint] = amountText ? [parseUnits(amountText, decimalsOf(ctx, p.token_symbol))] : [];
      const r = ok(await ctx.merchant.refund_payment(p.payment_id, amount, optText(reason)));
      return `Refunded ${money(ctx, r.amount, r.token_symbol)} in ledger block ${r.ledger_block}.`;
    });
    if (done) await ctx.refresh(done);
  });
}
