// Balances and payouts: each token's ledger balance against the books (reconcile_balances
// reads the ledgers), the payouts made, and a payout to the signed-in owner (create_payout).
import type { PayoutPage } from '../../generated/user_payment_canister.idl';
import { opt } from '../../lib/ic';
import { type Ctx, act, decimalsOf, h, money, ok, optText, parseUnits, short, table, when } from '../context';

export async function balances(ctx: Ctx, el: HTMLElement): Promise<void> {
  const [rows, payouts] = await Promise.all([
    ctx.merchant.reconcile_balances().then(ok),
    ctx.merchant.list_payouts([], [50]).then(ok) as Promise<PayoutPage>,
  ]);
  el.innerHTML = `<h1>Balances &amp; payouts</h1>
    <div class="cards">${rows.map((r) => `<div class="card"><div class="label">${h(r.symbol)} available</div>
      <div class="value" data-balance="${h(r.symbol)}">${h(money(ctx, r.book_balance, r.symbol))}</div>
      <div class="muted">${r.matches ? 'matches the ledger' : `ledger differs by ${h(money(ctx, r.difference < 0n ? -r.difference : r.difference, r.symbol))}`}</div></div>`).join('')}</div>
    <h2>Reconciliation</h2>
    ${table(['Token', 'Ledger balance', 'Received', 'Refunded', 'Paid out', 'Fees', 'Pending'], rows.map((r) => [
      h(r.symbol), h(money(ctx, r.ledger_balance, r.symbol)), h(money(ctx, r.received, r.symbol)), h(money(ctx, r.refunded, r.symbol)),
      h(money(ctx, r.paid_out, r.symbol)), h(money(ctx, r.fees, r.symbol)), h(money(ctx, r.pending_outgoing, r.symbol))]))}
    <h2>Pay out</h2>
    <form class="inline" id="payout">
      <label>Token <select name="token">${rows.map((r) => `<option>${h(r.symbol)}</option>`).join('')}</select></label>
      <label>Amount <input name="amount" inputmode="decimal" required size="10"></label>
      <label>Memo <input name="memo" maxlength="32"></label>
      <button class="primary">Pay out to my account</button>
    </form>
    <p class="muted">Payouts go to the signed-in owner's account <code>${h(ctx.principal)}</code>.</p>
    <h2>Payouts</h2>
    ${table(['Amount', 'To', 'Memo', 'Ledger block', 'Date'], payouts.payouts.map((p) => [
      h(money(ctx, p.amount, p.token_symbol)), `<code>${h(short(p.to.owner.toText()))}</code>`, h(opt(p.memo) ?? '—'),
      `<code>${p.ledger_block}</code>`, h(when(p.created_at))]))}`;
  const form = el.querySelector<HTMLFormElement>('#payout')!;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value;
    const done = await act(el, form.querySelector('button'), async () => {
      const p = ok(await ctx.merchant.create_payout(v('token'), parseUnits(v('amount'), decimalsOf(ctx, v('token'))), [], optText(v('memo'))));
      return `Paid out ${money(ctx, p.amount, p.token_symbol)} in ledger block ${p.ledger_block}.`;
    });
    if (done) await ctx.refresh(done);
  });
}
