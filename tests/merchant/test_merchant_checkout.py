"""Checkout sessions paid both ways and verified on the local ICRC ledger: ICRC-2
(approve + pay_checkout_session) and ICRC-1 (transfer to the session subaccount +
complete_checkout_session), under/over-payment, a wrong token, expiry with a late payment
returned, and double completion attempts. ic-py over HTTP on localnet throughout."""

from __future__ import annotations

from ledger_client import LEDGER_DID, LEDGER_ENTRY, LedgerClient, ledger_init_arg
from merchant_client import FEE, PRICE, ROUTING_KEY, SYMBOL, acct, code, ok, one, session_args, status


def test_create_session_shape(shop):
    s = shop.create_session()
    assert s["session_id"].startswith("cs_" + ROUTING_KEY + "_")
    assert status(s) == "open"
    assert s["amount"] == PRICE and s["currency_token"] == SYMBOL
    assert s["success_url"] == "https://shop.example.com/ok?session=" + s["session_id"]
    assert s["payment_account"].startswith(shop.merchant_id + "-")
    assert len(bytes(s["payment_subaccount"])) == 32
    assert s["expires_at"] - s["created_at"] == 24 * 3600 * 10**9
    assert s["customer_email"] == ["buyer@example.com"]
    assert shop.session(s["session_id"])["session_id"] == s["session_id"]
    # a stranger can read a session only by knowing its unguessable id
    assert ok(shop.stranger.merchant.get_checkout_session(s["session_id"]))["amount"] == PRICE
    assert code(shop.stranger.merchant.get_checkout_session("cs_" + ROUTING_KEY + "_" + "0" * 32)) == "not_found"


def test_create_session_validation(shop):
    api = shop.api.merchant
    bad = [
        session_args(amount=0),
        session_args(amount=2 * FEE),
        session_args(token="NOPE"),
        session_args(success_url=["http://evil.example.com/"]),
        session_args(cancel_url=["not a url"]),
        session_args(customer_email=["nobody"]),
        session_args(expires_in_seconds=[60]),
        session_args(expires_in_seconds=[2 * 86400]),
        session_args(metadata=[{"key": f"k{i}", "value": "v"} for i in range(51)]),
        session_args(metadata=[{"key": "k" * 41, "value": "v"}]),
        session_args(client_reference_id=["x" * 201]),
        session_args(success_url=[], cancel_url=[]),
        session_args(modal_config_id=["modal_missing"]),
        session_args(custom_domain=["no spaces allowed.com"]),
        # within the character limits, but 75 KB of UTF-8: refused instead of trapping
        session_args(metadata=[{"key": f"k{i}", "value": "\u20ac" * 500} for i in range(50)]),
    ]
    codes = [code(api.create_checkout_session_with_options(a)) for a in bad]
    assert codes[2] == "unsupported_token" and codes[12] == "not_found"
    assert all(c == "invalid_argument" for i, c in enumerate(codes) if i not in (2, 12)), codes
    # the seed-shaped method needs a modal for its redirect URLs
    assert code(api.create_checkout_session("", PRICE, SYMBOL, [])) == "invalid_argument"


def test_idempotency_key_returns_the_same_session(shop):
    first = shop.create_session(idempotency_key=["order-77"])
    again = shop.create_session(idempotency_key=["order-77"])
    other = shop.create_session(idempotency_key=["order-78"])
    assert again["session_id"] == first["session_id"]
    assert other["session_id"] != first["session_id"]


def test_idempotency_key_reused_with_other_parameters_is_refused(shop):
    """As Stripe: the key stands for one request; other parameters under it are an error."""
    first = shop.create_session(idempotency_key=["order-79"])
    create = shop.api.merchant.create_checkout_session_with_options
    for change in (
        {"amount": PRICE * 2},
        {"metadata": [{"key": "order", "value": "1002"}]},
        {"cancel_url": ["https://shop.example.com/other"]},
        {"expires_in_seconds": [3600]},
    ):
        res = one(create(session_args(**{"idempotency_key": ["order-79"], **change})))
        assert code(res) == "idempotency_error", res
        assert first["session_id"] in res["Err"]
    assert shop.create_session(idempotency_key=["order-79"])["session_id"] == first["session_id"]


def test_icrc2_paid_checkout(shop):
    s = shop.create_session()
    before = shop.alice.ledger.balance()
    paid = ok(shop.pay_icrc2(shop.alice, s))
    assert status(paid) == "complete" and paid["payment_method"] == ["icrc2"]
    assert paid["payer"][0].to_str() == shop.alice.principal
    assert paid["amount_received"] == PRICE and paid["amount_overpaid"] == 0
    # approve fee + transfer_from fee are the customer's
    assert shop.alice.ledger.balance() == before - PRICE - 2 * FEE
    assert shop.merchant_balance() == PRICE
    payment = ok(shop.owner.merchant.get_payment(paid["payment_intent_id"][0]))
    assert payment["session_id"] == s["session_id"] and payment["method"] == "icrc2"
    assert payment["amount"] == PRICE and payment["net_amount"] == PRICE and payment["fee"] == 0
    assert payment["payer"][0]["owner"].to_str() == shop.alice.principal
    # a completed session can be neither paid nor completed again
    assert code(shop.pay_icrc2(shop.bob, s)) == "conflict"
    assert code(shop.complete(shop.bob, s)) == "conflict"
    assert shop.merchant_balance() == PRICE


def test_icrc2_without_allowance_leaves_the_session_payable(shop):
    s = shop.create_session()
    assert code(shop.alice.merchant.pay_checkout_session(s["session_id"])) == "insufficient_allowance"
    assert status(shop.session(s["session_id"])) == "open"
    assert code(shop.anon.merchant.pay_checkout_session(s["session_id"])) == "unauthorized"
    assert status(ok(shop.pay_icrc2(shop.alice, s))) == "complete"


def test_icrc1_paid_checkout(shop):
    s = shop.create_session()
    block = shop.send_to_session(shop.alice, s, PRICE)
    assert ok(shop.complete(shop.stranger, s, block)) is None
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["payment_method"] == ["icrc1"]
    assert done["amount_received"] == PRICE and done["ledger_block"] == [block]
    assert done["payer"][0].to_str() == shop.alice.principal
    # swept: the subaccount is empty, the main account got the amount minus the sweep fee
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == 0
    assert shop.merchant_balance() == PRICE - FEE
    payment = ok(shop.owner.merchant.get_payment(done["payment_intent_id"][0]))
    assert payment["fee"] == FEE and payment["net_amount"] == PRICE - FEE and payment["ledger_block"] == [block]
    assert code(shop.complete(shop.alice, s, block)) == "conflict"


def test_transaction_id_is_only_a_hint(shop):
    s = shop.create_session()
    other = shop.create_session()
    # a block paying another session does not complete this one
    other_block = shop.send_to_session(shop.bob, other, PRICE)
    assert code(shop.complete(shop.alice, s, other_block)) == "insufficient_payment"
    assert code(shop.complete(shop.alice, s, "12abc")) == "invalid_argument"
    # a wrong hint does not stop a real payment from being found
    shop.send_to_session(shop.alice, s, PRICE)
    assert ok(shop.complete(shop.alice, s, other_block)) is None
    assert shop.session(s["session_id"])["payer"][0].to_str() == shop.alice.principal
    assert ok(shop.complete(shop.bob, other, other_block)) is None
    assert shop.session(other["session_id"])["payer"][0].to_str() == shop.bob.principal


def test_underpayment_then_top_up(shop):
    s = shop.create_session()
    shop.send_to_session(shop.alice, s, PRICE // 2)
    assert code(shop.complete(shop.alice, s)) == "insufficient_payment"
    pending = shop.session(s["session_id"])
    assert status(pending) == "open" and pending["amount_received"] == PRICE // 2
    shop.send_to_session(shop.alice, s, PRICE - PRICE // 2)
    assert ok(shop.complete(shop.alice, s)) is None
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["amount_received"] == PRICE and done["amount_overpaid"] == 0
    assert shop.merchant_balance() == PRICE - FEE


def test_icrc2_after_a_partial_icrc1_deposit_never_charges_more_than_the_price(shop):
    """Part of the price sent by ICRC-1 to the deposit account counts: an ICRC-2 charge of
    the full price on top is refused (nothing moves, the allowance stays), and the customer
    finishes by sending the rest; in total they paid the price (plus the transfer fees)."""
    s = shop.create_session()
    before = shop.alice.ledger.balance()
    part = PRICE // 5
    shop.send_to_session(shop.alice, s, part)
    res = shop.pay_icrc2(shop.alice, s)
    assert code(res) == "conflict"
    assert f"already holds {part} of {PRICE} in its deposit account" in res["Err"]
    assert f"send the remaining {PRICE - part} there" in res["Err"]
    assert status(shop.session(s["session_id"])) == "open"
    assert shop.merchant_balance() == 0  # nothing was pulled
    shop.send_to_session(shop.alice, s, PRICE - part)
    assert ok(shop.complete(shop.alice, s)) is None
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["amount_received"] == PRICE and done["amount_overpaid"] == 0
    # two transfers (fee each) and the refused attempt's approval (fee): the price, once
    assert shop.alice.ledger.balance() == before - PRICE - 3 * FEE
    assert shop.merchant_balance() == PRICE - FEE  # the sweep's fee is the merchant's


def test_icrc2_refused_when_the_deposit_already_holds_the_price(shop):
    s = shop.create_session()
    shop.send_to_session(shop.alice, s, PRICE)
    res = shop.pay_icrc2(shop.bob, s)
    assert code(res) == "conflict" and "already holds its price" in res["Err"]
    assert ok(shop.complete(shop.bob, s)) is None
    assert shop.session(s["session_id"])["payer"][0].to_str() == shop.alice.principal
    assert shop.merchant_balance() == PRICE - FEE


def test_overpayment_is_recorded(shop):
    s = shop.create_session()
    block = shop.send_to_session(shop.alice, s, PRICE + 12_345)
    assert ok(shop.complete(shop.alice, s, block)) is None
    done = shop.session(s["session_id"])
    assert done["amount_received"] == PRICE + 12_345 and done["amount_overpaid"] == 12_345
    payment = ok(shop.owner.merchant.get_payment(done["payment_intent_id"][0]))
    assert payment["overpaid"] == 12_345 and payment["expected_amount"] == PRICE
    assert shop.merchant_balance() == PRICE + 12_345 - FEE


def test_wrong_token(shop, deploy, actor):
    other_init = ledger_init_arg([(shop.alice.principal, 10**9)]).replace('symbol = "LTT"', 'symbol = "OTH"')
    other_id = deploy(shop.server, LEDGER_ENTRY, other_init)
    other = LedgerClient(actor(shop.server, other_id, shop.alice.identity, LEDGER_DID), shop.alice.identity)
    assert (
        code(shop.api.merchant.create_checkout_session_with_options(session_args(token="OTH"))) == "unsupported_token"
    )
    s = shop.create_session()
    # funds of another ledger in the session subaccount are not a payment
    assert "Ok" in other.transfer(acct(shop.merchant_id, bytes(s["payment_subaccount"])), PRICE)
    assert code(shop.complete(shop.alice, s)) == "insufficient_payment"
    # an allowance on another ledger does not pay it either
    assert "Ok" in other.approve(acct(shop.merchant_id), PRICE + FEE)
    assert code(shop.alice.merchant.pay_checkout_session(s["session_id"])) == "insufficient_allowance"
    assert status(shop.session(s["session_id"])) == "open"


def test_expired_session_then_late_payment_is_refunded(shop):
    s = shop.create_session(expires_in_seconds=[1800])
    shop.advance(1801)
    assert status(shop.session(s["session_id"])) == "expired"
    start = shop.alice.ledger.balance()
    block = shop.send_to_session(shop.alice, s, PRICE)
    assert code(shop.complete(shop.alice, s, block)) == "expired"
    assert code(shop.pay_icrc2(shop.alice, s)) == "expired"
    # only the sender (or the merchant) may ask for the return, and only of a real block
    assert code(shop.stranger.merchant.refund_session_funds(s["session_id"], str(block))) == "unauthorized"
    assert code(shop.alice.merchant.refund_session_funds(s["session_id"], str(block + 100))) == "not_found"
    refund = ok(shop.alice.merchant.refund_session_funds(s["session_id"], str(block)))
    assert refund["amount"] == PRICE - FEE and refund["to"]["owner"].to_str() == shop.alice.principal
    # the transfer, the approve above and the return each cost one fee
    assert shop.alice.ledger.balance() == start - 3 * FEE
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == 0
    assert code(shop.alice.merchant.refund_session_funds(s["session_id"], str(block))) == "conflict"
    analytics = ok(shop.owner.merchant.get_checkout_session_analytics())
    assert analytics["expired_sessions"] == 1 and analytics["completed_sessions"] == 0


def test_expire_old_sessions_in_batches(shop):
    sessions = [shop.create_session(expires_in_seconds=[1800]) for _ in range(3)]
    keep = shop.create_session()
    with shop.server.lock:
        shop.server.network.advance_time(1900, run=False)
    # the periodic timer may run first on the way in; together they expire exactly three
    by_call = ok(shop.owner.merchant.expire_old_sessions())
    assert ok(shop.owner.merchant.expire_old_sessions()) == 0
    assert ok(shop.owner.merchant.get_checkout_session_analytics())["expired_sessions"] == 3
    assert 0 <= by_call <= 3
    assert [status(shop.session(s["session_id"])) for s in sessions] == ["expired"] * 3
    assert status(shop.session(keep["session_id"])) == "open"
    assert code(shop.stranger.merchant.expire_old_sessions()) == "unauthorized"


def test_double_completion_sequential(shop):
    s = shop.create_session()
    assert status(ok(shop.pay_icrc2(shop.alice, s))) == "complete"
    # a later ICRC-1 transfer cannot complete it again; it is returned to its sender instead
    block = shop.send_to_session(shop.bob, s, PRICE)
    assert code(shop.complete(shop.bob, s, block)) == "conflict"
    refund = ok(shop.bob.merchant.refund_session_funds(s["session_id"], str(block)))
    assert refund["amount"] == PRICE - FEE
    page = ok(shop.owner.merchant.list_payments([], []))
    assert len(page["payments"]) == 1
    assert shop.merchant_balance() == PRICE


def test_merchant_expires_a_session_by_hand(shop):
    s = shop.create_session()
    assert code(shop.stranger.merchant.expire_checkout_session(s["session_id"])) == "unauthorized"
    expired = ok(shop.api.merchant.expire_checkout_session(s["session_id"]))
    assert status(expired) == "expired"
    assert code(shop.api.merchant.expire_checkout_session(s["session_id"])) == "conflict"
    assert code(shop.pay_icrc2(shop.alice, s)) == "expired"
    paid = shop.create_session()
    ok(shop.pay_icrc2(shop.alice, paid))
    assert code(shop.api.merchant.expire_checkout_session(paid["session_id"])) == "conflict"


def test_a_page_of_big_sessions_stays_under_the_reply_limit(shop):
    """100 sessions of up to 46 kB would be ~4.6 MB, over the IC's reply limits (3 MiB for a
    query call, 2 MiB for a call from a canister): a page also stops at MAX_PAGE_BYTES of
    (estimated) encoded sessions and the cursor goes on."""
    metadata = [{"key": f"k{i:02d}", "value": "é" * 380} for i in range(50)]
    url = "https://shop.example.com/ok?" + "q" * 1900
    ids = [shop.create_session(metadata=metadata, success_url=[url], cancel_url=[url])["session_id"] for _ in range(80)]
    first = ok(shop.api.merchant.list_checkout_sessions([], [100]))
    assert 0 < len(first["sessions"]) < 80 and first["next_cursor"]
    rest = ok(shop.api.merchant.list_checkout_sessions(first["next_cursor"], [100]))
    listed = [s["session_id"] for s in first["sessions"] + rest["sessions"]]
    assert listed == ids[::-1] and rest["next_cursor"] == []
