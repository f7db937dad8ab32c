"""Refunds (partial, full, never more than paid), payouts to owners, balances that
reconcile with the ledger, and newest-first pagination of sessions and payments."""

from __future__ import annotations

from merchant_client import FEE, PRICE, SYMBOL, acct, code, ok


def paid_icrc1(shop, party, amount=PRICE):
    s = shop.create_session()
    block = shop.send_to_session(party, s, amount)
    assert ok(shop.complete(party, s, block)) is None
    return shop.session(s["session_id"])["payment_intent_id"][0]


def reconcile(shop) -> dict:
    rows = ok(shop.owner.merchant.reconcile_balances())
    (row,) = [r for r in rows if r["symbol"] == SYMBOL]
    return row


def test_partial_then_full_refund(shop):
    payment_id = paid_icrc1(shop, shop.alice)
    # another sale (ICRC-2, no sweep fee) so the book can cover a full refund plus fees
    ok(shop.pay_icrc2(shop.bob, shop.create_session()))
    before = shop.alice.ledger.balance()
    first = ok(shop.owner.merchant.refund_payment(payment_id, [1_000_000], ["damaged item"]))
    assert first["amount"] == 1_000_000 and first["fee"] == FEE and first["reason"] == ["damaged item"]
    assert first["to"]["owner"].to_str() == shop.alice.principal
    assert shop.alice.ledger.balance() == before + 1_000_000
    # more than what is left is refused; the rest (no amount) is refunded in full
    assert code(shop.owner.merchant.refund_payment(payment_id, [PRICE], [])) == "invalid_argument"
    rest = ok(shop.owner.merchant.refund_payment(payment_id, [], []))
    assert rest["amount"] == PRICE - 1_000_000
    assert shop.alice.ledger.balance() == before + PRICE
    payment = ok(shop.owner.merchant.get_payment(payment_id))
    assert payment["refunded"] == PRICE and payment["refund_pending"] == 0
    assert code(shop.owner.merchant.refund_payment(payment_id, [1], [])) == "invalid_argument"
    page = ok(shop.owner.merchant.list_refunds([], []))
    assert [r["refund_id"] for r in page["refunds"]] == [rest["refund_id"], first["refund_id"]]


def test_refund_needs_funds_and_an_owner(shop):
    payment_id = paid_icrc1(shop, shop.alice)
    # only PRICE - FEE reached the main account: a full refund plus its fee cannot be covered
    assert code(shop.owner.merchant.refund_payment(payment_id, [], [])) == "insufficient_funds"
    assert code(shop.api.merchant.refund_payment(payment_id, [1000], [])) == "unauthorized"
    assert code(shop.alice.merchant.refund_payment(payment_id, [1000], [])) == "unauthorized"
    assert code(shop.owner.merchant.refund_payment("pay_unknown", [1000], [])) == "not_found"
    assert code(shop.owner.merchant.refund_payment("bogus id", [1000], [])) == "invalid_argument"
    ok(shop.owner.merchant.refund_payment(payment_id, [PRICE - 3 * FEE], []))


def test_payouts_and_reconciliation(shop):
    paid_icrc1(shop, shop.alice)
    s = shop.create_session()
    ok(shop.pay_icrc2(shop.bob, s))
    expected = (PRICE - FEE) + PRICE
    row = reconcile(shop)
    assert row["ledger_balance"] == expected and row["book_balance"] == expected and row["matches"]
    owner_before = shop.owner.ledger.balance()
    payout = ok(shop.owner.merchant.create_payout(SYMBOL, 2_000_000, [], ["weekly"]))
    assert payout["amount"] == 2_000_000 and payout["to"]["owner"].to_str() == shop.owner.principal
    assert shop.owner.ledger.balance() == owner_before + 2_000_000
    assert code(shop.owner.merchant.create_payout(SYMBOL, expected, [], [])) == "insufficient_funds"
    assert (
        code(shop.owner.merchant.create_payout(SYMBOL, 1000, [acct(shop.stranger.principal)], [])) == "invalid_argument"
    )
    assert code(shop.api.merchant.create_payout(SYMBOL, 1000, [], [])) == "unauthorized"
    assert code(shop.owner.merchant.create_payout("NOPE", 1000, [], [])) == "not_found"
    row = reconcile(shop)
    assert row["paid_out"] == 2_000_000 and row["fees"] == FEE
    assert row["ledger_balance"] == expected - 2_000_000 - FEE == row["book_balance"] and row["matches"]
    # money sent to the main account outside any session shows up as a difference
    assert "Ok" in shop.alice.ledger.transfer(acct(shop.merchant_id), 777)
    row = reconcile(shop)
    assert row["difference"] == 777 and not row["matches"]
    assert ok(shop.owner.merchant.list_payouts([], []))["payouts"][0]["payout_id"] == payout["payout_id"]


def test_pagination_newest_first(shop):
    created = [shop.create_session(amount=PRICE + i)["session_id"] for i in range(7)]
    seen, cursor = [], []
    while True:
        page = ok(shop.owner.merchant.list_checkout_sessions(cursor, [3]))
        assert len(page["sessions"]) <= 3
        seen += [s["session_id"] for s in page["sessions"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert seen == list(reversed(created))
    assert code(shop.owner.merchant.list_checkout_sessions([], [101])) == "invalid_argument"
    assert code(shop.owner.merchant.list_checkout_sessions(["not-a-cursor"], [])) == "invalid_argument"
    first = paid_icrc1(shop, shop.alice)
    second = paid_icrc1(shop, shop.bob)
    payments = ok(shop.owner.merchant.list_payments([], [1]))
    assert [p["payment_id"] for p in payments["payments"]] == [second]
    more = ok(shop.owner.merchant.list_payments(payments["next_cursor"], [1]))
    assert [p["payment_id"] for p in more["payments"]] == [first]
