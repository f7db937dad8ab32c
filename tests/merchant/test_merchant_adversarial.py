"""Adversarial tests of the merchant canister's money code: each test pins down an attack or
a failure (interleaved messages, a trap after a ledger transfer, hostile inputs) and asserts
the behaviour that keeps every payment, return and refund correct.

Interleavings are driven with the localnet scheduler (`pending()`/`step(i)`) while the HTTP
server's lock is held; traps after a ledger transfer are injected at that call boundary
(`trap_at`, localnet's fault seam): the callback of the merchant's ledger call traps, as a
failing part-2 hook or an exhausted instruction budget would make it."""

from __future__ import annotations

import pytest
from kybra import Principal
from merchant_client import (
    FEE,
    LEDGER_DID,
    LEDGER_ENTRY,
    MERCHANT_DID,
    MERCHANT_ENTRY,
    PRICE,
    SYMBOL,
    LedgerClient,
    acct,
    code,
    distinct,
    err,
    ledger_init_arg,
    merchant_init_arg,
    ok,
    one,
    plain,
    session_args,
    status,
    trap_at,
)

from localnet.runtime.typed import call, decode_reply, encode_call

LOCK_STALE_SECONDS = 300


# -- scheduler helpers --------------------------------------------------------------------
def submit_to(shop, party, canister_id: str, method: str, *values) -> bytes:
    """Queue an ingress message (the server lock must be held); returns its id."""
    net = shop.server.network
    target = Principal.from_str(canister_id)
    arg = encode_call(net, target, method, list(values))
    return net.submit(Principal.from_str(party.principal), target, method, arg)


def reply_of(shop, canister_id: str, method: str, message_id: bytes):
    st = shop.server.network.status(message_id)
    assert st.state == "replied", (st.state, st.reject_message)
    return decode_reply(shop.server.network, Principal.from_str(canister_id), method, st.reply)


def step_until(shop, predicate, limit: int = 500) -> None:
    """Run the first ready step until `predicate(pending steps)` holds."""
    net = shop.server.network
    for _ in range(limit):
        if predicate(net.pending()):
            return
        net.step(0)
    raise AssertionError("the awaited step never became ready: " + str(net.pending()))


def run_alone(shop, message_id: bytes) -> None:
    """Run one ingress message to its end before anything else that is queued."""
    net = shop.server.network
    for _ in range(500):
        if net.status(message_id).state in ("replied", "rejected", "done"):
            return
        mine = [p.index for p in net.pending() if p.message_id == message_id]
        assert mine, net.pending()
        net.step(mine[0])
    raise AssertionError("message did not finish")


def waiting_on(method: str):
    return lambda steps: any(p.kind == "call" and p.method == method for p in steps)


def ledger_transfer_args(shop, session: dict, amount: int) -> dict:
    to = {"owner": Principal.from_str(shop.merchant_id), "subaccount": bytes(session["payment_subaccount"])}
    return {"from_subaccount": None, "to": to, "amount": amount, "fee": None, "memo": None, "created_at_time": None}


def rejected(call) -> bool:
    """True if the ic-py call was rejected (the canister trapped)."""
    try:
        call()
    except Exception:  # noqa: BLE001 - ic-py raises plain Exceptions for rejects
        return True
    return False


def reconcile_row(shop) -> dict:
    (row,) = [r for r in ok(shop.owner.merchant.reconcile_balances()) if r["symbol"] == SYMBOL]
    return row


# -- ICRC-1 completion: who paid, and which blocks were credited ---------------------------
@pytest.mark.parametrize("hint", ["dust_block", ""])
def test_dust_sender_cannot_become_the_payer(shop, hint):
    """Bob sends dust to Alice's session before she pays, then completes naming his block
    (or no block). The payer must still be Alice, so a refund goes to her, not to Bob; Bob's
    dust is not part of her payment and stays returnable to him."""
    s = shop.create_session()
    dust = shop.send_to_session(shop.bob, s, 3 * FEE)
    shop.send_to_session(shop.alice, s, PRICE)
    ok(shop.complete(shop.bob, s, dust if hint else ""))
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["amount_received"] == PRICE
    assert ok(shop.bob.merchant.refund_session_funds(s["session_id"], str(dust)))["amount"] == 2 * FEE
    assert done["payer"][0].to_str() == shop.alice.principal
    payment = ok(shop.owner.merchant.get_payment(done["payment_intent_id"][0]))
    assert payment["payer"][0]["owner"].to_str() == shop.alice.principal
    ok(shop.pay_icrc2(shop.owner, shop.create_session()))  # funds for the refund's fee
    alice_before, bob_before = shop.alice.ledger.balance(), shop.bob.ledger.balance()
    refund = ok(shop.owner.merchant.refund_payment(payment["payment_id"], [1_000_000], []))
    assert refund["to"]["owner"].to_str() == shop.alice.principal
    assert shop.alice.ledger.balance() == alice_before + 1_000_000
    assert shop.bob.ledger.balance() == bob_before


def test_transfer_arriving_during_completion_stays_returnable(shop):
    """A transfer that lands after the completion read the subaccount's balance is not part
    of the sweep; it must stay returnable to its sender, not be marked as credited."""
    s = shop.create_session()
    shop.send_to_session(shop.alice, s, PRICE)
    late = 2_000_000
    with shop.server.lock:
        completion = submit_to(shop, shop.stranger, shop.merchant_id, "complete_checkout_session", s["session_id"], "")
        step_until(shop, waiting_on("icrc3_get_blocks"))  # the balance was read
        transfer = submit_to(shop, shop.bob, shop.ledger_id, "icrc1_transfer", ledger_transfer_args(shop, s, late))
        run_alone(shop, transfer)
        late_block = reply_of(shop, shop.ledger_id, "icrc1_transfer", transfer)["Ok"]
        shop.server.network.run_until_idle()
        assert "Ok" in reply_of(shop, shop.merchant_id, "complete_checkout_session", completion)
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["amount_received"] == PRICE
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == late
    bob_before = shop.bob.ledger.balance()
    returned = ok(shop.bob.merchant.refund_session_funds(s["session_id"], str(late_block)))
    assert returned["amount"] == late - FEE
    assert shop.bob.ledger.balance() == bob_before + late - FEE


def test_swept_block_outside_the_search_window_cannot_claim_later_funds(shop):
    """Alice's payment is older than the block search window when the session is completed
    without a hint, so the completion could not mark her block. Her block was swept all the
    same: she must not be able to take Bob's later, separate transfer with it."""
    s = shop.create_session()
    paid = shop.send_to_session(shop.alice, s, PRICE)
    net = shop.server.network
    with shop.server.lock:
        for _ in range(101):  # push Alice's block out of the 100-block window
            arg = {
                "from_subaccount": None,
                "to": {"owner": Principal.from_str(shop.owner.principal), "subaccount": None},
                "amount": 1,
                "fee": None,
                "memo": None,
                "created_at_time": None,
            }
            assert "Ok" in call(
                net, Principal.from_str(shop.owner.principal), Principal.from_str(shop.ledger_id), "icrc1_transfer", arg
            )
    ok(shop.complete(shop.stranger, s, ""))
    later = shop.send_to_session(shop.bob, s, 2_000_000)
    assert code(shop.alice.merchant.refund_session_funds(s["session_id"], str(paid))) == "conflict"
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == 2_000_000
    assert ok(shop.bob.merchant.refund_session_funds(s["session_id"], str(later)))["amount"] == 2_000_000 - FEE


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_one_transfer_never_completes_two_sessions(shop, seed):
    """Alice pays session A; completions of A and of B naming A's block run interleaved:
    only A completes; B (whose subaccount got nothing) stays open."""
    a, b = shop.create_session(), shop.create_session()
    block = shop.send_to_session(shop.alice, a, PRICE)
    with shop.server.lock:
        ids = [
            submit_to(shop, p, shop.merchant_id, "complete_checkout_session", s["session_id"], str(block))
            for p, s in ((shop.alice, a), (shop.bob, b), (shop.bob, b), (shop.stranger, a))
        ]
        shop.server.network.run_interleaved(seed)
        results = [reply_of(shop, shop.merchant_id, "complete_checkout_session", m) for m in ids]
    assert "Ok" in results[0] or "Ok" in results[3], results
    assert all(r["Err"].startswith(("insufficient_payment", "conflict")) for r in results[1:3]), results
    assert status(shop.session(a["session_id"])) == "complete"
    assert status(shop.session(b["session_id"])) == "open"
    assert shop.session(b["session_id"])["amount_received"] == 0
    assert len(ok(shop.owner.merchant.list_payments([], []))["payments"]) == 1
    assert reconcile_row(shop)["matches"]


def test_transfer_to_another_session_or_the_main_account_is_not_credited(shop):
    """Hints naming a transfer to another session's subaccount, to the merchant's main
    account or the merchant's own sweep never complete a session."""
    a, b = shop.create_session(), shop.create_session()
    paid = shop.send_to_session(shop.alice, a, PRICE)
    ok(shop.complete(shop.alice, a, paid))
    sweep = ok(shop.owner.merchant.get_payment(shop.session(a["session_id"])["payment_intent_id"][0]))["sweep_block"][0]
    direct = shop.bob.ledger.transfer(acct(shop.merchant_id), PRICE)["Ok"]
    for hint in (paid, sweep, direct):
        assert code(shop.complete(shop.bob, b, hint)) == "insufficient_payment"
    assert status(shop.session(b["session_id"])) == "open"
    assert code(shop.bob.merchant.refund_session_funds(a["session_id"], str(sweep))) == "not_found"


# -- traps after a ledger transfer ----------------------------------------------------------
def test_trap_after_icrc2_charge_then_retry_charges_once(shop):
    """The ICRC-2 charge went through but the callback trapped: the lock stays, so nobody can
    pay again at once; the payer's retry after the stale period reuses the lock's
    created_at_time, the ledger answers Duplicate and the session completes with one charge."""
    s = shop.create_session()
    assert "Ok" in shop.alice.ledger.approve(acct(shop.merchant_id), 3 * (PRICE + FEE))
    before = shop.alice.ledger.balance()
    trap_at(shop, "after_call", "icrc2_transfer_from")
    assert rejected(lambda: shop.alice.merchant.pay_checkout_session(s["session_id"]))
    assert shop.alice.ledger.balance() == before - PRICE - FEE
    assert status(shop.session(s["session_id"])) == "open"
    assert code(shop.alice.merchant.pay_checkout_session(s["session_id"])) == "conflict"
    shop.advance(LOCK_STALE_SECONDS + 1)
    done = ok(shop.alice.merchant.pay_checkout_session(s["session_id"]))
    assert status(done) == "complete"
    assert shop.alice.ledger.balance() == before - PRICE - FEE
    assert reconcile_row(shop)["matches"]


def test_trap_after_icrc2_charge_is_not_charged_to_someone_else(shop):
    """After the trapped charge of Alice, Bob (another payer) must not be charged for the
    same session once the lock is stale: Alice's charge went through."""
    s = shop.create_session()
    assert "Ok" in shop.alice.ledger.approve(acct(shop.merchant_id), 3 * (PRICE + FEE))
    assert "Ok" in shop.bob.ledger.approve(acct(shop.merchant_id), 3 * (PRICE + FEE))
    alice_before, bob_before = shop.alice.ledger.balance(), shop.bob.ledger.balance()
    trap_at(shop, "after_call", "icrc2_transfer_from")
    assert rejected(lambda: shop.alice.merchant.pay_checkout_session(s["session_id"]))
    shop.advance(LOCK_STALE_SECONDS + 1)
    result = one(shop.bob.merchant.pay_checkout_session(s["session_id"]))
    assert shop.bob.ledger.balance() == bob_before, result
    assert shop.alice.ledger.balance() == alice_before - PRICE - FEE
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["payer"][0].to_str() == shop.alice.principal
    assert reconcile_row(shop)["matches"]


@pytest.mark.parametrize("retry_by", ["alice", "stranger"])
def test_trap_after_sweep_then_retry_records_the_payment(shop, retry_by):
    """The sweep went through but the callback trapped: the funds are in the main account
    and the subaccount is empty. A retry (by anyone) after the stale period must record the
    payment (the ledger dedups the replayed sweep), not report an empty subaccount."""
    s = shop.create_session()
    block = shop.send_to_session(shop.alice, s, PRICE)
    trap_at(shop, "after_call", "icrc1_transfer")
    assert rejected(lambda: shop.complete(shop.alice, s, block))
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == 0
    assert shop.merchant_balance() == PRICE - FEE
    shop.advance(LOCK_STALE_SECONDS + 1)
    ok(shop.complete(getattr(shop, retry_by), s, block))
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["amount_received"] == PRICE
    assert done["payer"][0].to_str() == shop.alice.principal
    assert shop.merchant_balance() == PRICE - FEE
    row = reconcile_row(shop)
    assert row["matches"] and row["book_balance"] == PRICE - FEE


def test_trap_after_a_return_cannot_return_twice(shop):
    """Two late transfers (Alice 3M, Bob 1M) to an expired session. Alice's return went
    through but its callback trapped; her retry replays that return (the ledger answers
    Duplicate) and gets its record; it must not send Bob's funds to her."""
    s = shop.create_session()
    ok(shop.owner.merchant.expire_checkout_session(s["session_id"]))
    mine = shop.send_to_session(shop.alice, s, 3_000_000)
    his = shop.send_to_session(shop.bob, s, 1_000_000)
    before = shop.alice.ledger.balance()
    trap_at(shop, "after_call", "icrc1_transfer")
    assert rejected(lambda: shop.alice.merchant.refund_session_funds(s["session_id"], str(mine)))
    assert shop.alice.ledger.balance() == before + 3_000_000 - FEE
    shop.advance(LOCK_STALE_SECONDS + 1)
    assert ok(shop.alice.merchant.refund_session_funds(s["session_id"], str(mine)))["amount"] == 3_000_000 - FEE
    assert code(shop.alice.merchant.refund_session_funds(s["session_id"], str(mine))) == "conflict"  # returned
    assert shop.alice.ledger.balance() == before + 3_000_000 - FEE
    assert ok(shop.bob.merchant.refund_session_funds(s["session_id"], str(his)))["amount"] == 1_000_000 - FEE
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == 0


# -- expiry racing a payment ----------------------------------------------------------------
def test_session_locked_during_the_expiry_sweep_is_expired_later(shop):
    """The expiry sweep meets a session whose payment is in flight and skips it; when that
    payment then fails, the session must still be expired by a later sweep (not stay 'open'
    in storage and in the counters forever)."""
    s = shop.create_session(expires_in_seconds=[1800])
    net = shop.server.network
    with shop.server.lock:
        pay = submit_to(shop, shop.alice, shop.merchant_id, "pay_checkout_session", s["session_id"])  # no allowance
        step_until(shop, waiting_on("icrc2_transfer_from"))
        net.set_time(net.time_ns + 1900 * 10**9)
        sweep = submit_to(shop, shop.owner, shop.merchant_id, "expire_old_sessions")
        run_alone(shop, sweep)
        assert reply_of(shop, shop.merchant_id, "expire_old_sessions", sweep) == {"Ok": 0}
        net.run_until_idle()
        assert reply_of(shop, shop.merchant_id, "pay_checkout_session", pay)["Err"].startswith("insufficient_allowance")
        net.set_time(net.time_ns + 180 * 10**9)
    ok(shop.owner.merchant.expire_old_sessions())  # (the expiry timer may have run first)
    listed = ok(shop.owner.merchant.list_checkout_sessions([], []))["sessions"]
    assert [status(x) for x in listed if x["session_id"] == s["session_id"]] == ["expired"]
    analytics = ok(shop.owner.merchant.get_checkout_session_analytics())
    assert analytics["open_sessions"] == 0 and analytics["expired_sessions"] == 1


def test_payment_in_flight_when_the_session_expires_completes_once(shop):
    """An ICRC-2 payment started before expires_at and answered after it: the expiry sweep
    skips the locked session, the payment completes it, and it is never also expired."""
    s = shop.create_session(expires_in_seconds=[1800])
    assert "Ok" in shop.alice.ledger.approve(acct(shop.merchant_id), PRICE + FEE)
    net = shop.server.network
    with shop.server.lock:
        pay = submit_to(shop, shop.alice, shop.merchant_id, "pay_checkout_session", s["session_id"])
        step_until(shop, waiting_on("icrc2_transfer_from"))
        net.set_time(net.time_ns + 1900 * 10**9)
        sweep = submit_to(shop, shop.owner, shop.merchant_id, "expire_old_sessions")
        run_alone(shop, sweep)
        net.run_until_idle()
        assert "Ok" in reply_of(shop, shop.merchant_id, "pay_checkout_session", pay)
        net.set_time(net.time_ns + 180 * 10**9)
    ok(shop.owner.merchant.expire_old_sessions())
    done = shop.session(s["session_id"])
    assert status(done) == "complete"
    analytics = ok(shop.owner.merchant.get_checkout_session_analytics())
    assert (
        analytics["completed_sessions"] == 1 and analytics["expired_sessions"] == 0 and analytics["open_sessions"] == 0
    )


# -- concurrent refunds and payouts ---------------------------------------------------------
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_concurrent_partial_refunds_never_exceed_the_payment(shop, seed):
    s = shop.create_session()
    ok(shop.pay_icrc2(shop.alice, s))
    ok(shop.pay_icrc2(shop.bob, shop.create_session()))  # funds for fees
    ok(shop.pay_icrc2(shop.bob, shop.create_session()))
    payment_id = shop.session(s["session_id"])["payment_intent_id"][0]
    before = shop.alice.ledger.balance()
    part = 2 * PRICE // 3
    with shop.server.lock:
        ids = [
            submit_to(shop, shop.owner, shop.merchant_id, "refund_payment", payment_id, part, None) for _ in range(3)
        ]
        ids.append(submit_to(shop, shop.owner, shop.merchant_id, "create_payout", SYMBOL, PRICE, None, None))
        shop.server.network.run_interleaved(seed)
        refunds = [reply_of(shop, shop.merchant_id, "refund_payment", m) for m in ids[:3]]
    assert sum(1 for r in refunds if "Ok" in r) == 1, refunds
    assert all(r["Err"].startswith("invalid_argument") for r in refunds if "Err" in r)
    assert shop.alice.ledger.balance() == before + part
    payment = ok(shop.owner.merchant.get_payment(payment_id))
    assert payment["refunded"] == part and payment["refund_pending"] == 0
    assert reconcile_row(shop)["matches"]


def test_payout_cannot_take_funds_reserved_by_an_inflight_refund(shop):
    ok(shop.pay_icrc2(shop.alice, shop.create_session()))
    payment_id = ok(shop.owner.merchant.list_payments([], []))["payments"][0]["payment_id"]
    with shop.server.lock:
        refund = submit_to(shop, shop.owner, shop.merchant_id, "refund_payment", payment_id, PRICE - 2 * FEE, None)
        step_until(shop, waiting_on("icrc1_transfer"))
        payout = submit_to(shop, shop.owner, shop.merchant_id, "create_payout", SYMBOL, 3 * FEE, None, None)
        run_alone(shop, payout)
        assert reply_of(shop, shop.merchant_id, "create_payout", payout)["Err"].startswith("insufficient_funds")
        shop.server.network.run_until_idle()
        assert "Ok" in reply_of(shop, shop.merchant_id, "refund_payment", refund)
    row = reconcile_row(shop)
    assert row["matches"] and row["book_balance"] == FEE


def test_amounts_beyond_nat64(shop, deploy, actor):
    """A token with 18 decimals moves more than 2^64 units in ordinary payments: an
    overpaid session, its refund and a payout of such amounts must all work."""
    big = 2**66
    ledger_id = deploy(shop.server, LEDGER_ENTRY, ledger_init_arg([(shop.alice.principal, 2**70)]))
    merchant_id = deploy(
        shop.server, MERCHANT_ENTRY, merchant_init_arg(shop.owner.principal, ledger_id, routing_key="shop8")
    )
    owner = distinct(actor(shop.server, merchant_id, shop.owner.identity, MERCHANT_DID))
    alice = distinct(actor(shop.server, merchant_id, shop.alice.identity, MERCHANT_DID))
    ledger = LedgerClient(distinct(actor(shop.server, ledger_id, shop.alice.identity, LEDGER_DID)), shop.alice.identity)
    ok(owner.refresh_token(SYMBOL))
    s = ok(owner.create_checkout_session_with_options(session_args(2**64 - 1)))
    block = ledger.transfer(acct(merchant_id, bytes(s["payment_subaccount"])), big)["Ok"]
    ok(alice.complete_checkout_session(s["session_id"], str(block)))
    done = ok(owner.get_checkout_session(s["session_id"]))
    assert status(done) == "complete" and done["amount_received"] == big and done["amount_overpaid"] == big - 2**64 + 1
    payment_id = done["payment_intent_id"][0]
    assert ok(owner.refund_payment(payment_id, [2**65], []))["amount"] == 2**65
    assert ok(owner.create_payout(SYMBOL, 2**64 + 5, [], []))["amount"] == 2**64 + 5
    (row,) = ok(owner.reconcile_balances())
    assert row["matches"] and row["ledger_balance"] == big - FEE - 2**65 - FEE - (2**64 + 5) - FEE
    assert ok(owner.list_payments([], []))["payments"][0]["amount"] == big


# -- hostile inputs: every one an Err, never a trap ------------------------------------------
WEIRD_TEXTS = [
    "",
    " ",
    "x" * 5000,
    "cs_" + "é" * 40,
    "cs_\u0000",
    "cs_shop1_" + "0" * 32,
    "\U0001f600" * 100,
    "²",
    "-1",
]
WEIRD_HINTS = ["²", "١٢٣", "٣", "9" * 20, "9" * 21, "-1", " 1", "1 ", "0x10", "1e3", "\U0001d7d9"]
HUGE = [0, 2**64, 2**64 - 1, 2**128]


@pytest.mark.parametrize("hint", WEIRD_HINTS)
def test_transaction_id_inputs_never_trap(shop, hint):
    s = shop.create_session()
    for result in (
        one(shop.alice.merchant.complete_checkout_session(s["session_id"], hint)),
        one(shop.owner.merchant.refund_session_funds(s["session_id"], hint)),
    ):
        assert "Err" in result, (hint, result)
    done = shop.session(s["session_id"])
    assert status(done) == "open"
    ok(shop.owner.merchant.expire_checkout_session(s["session_id"]))
    result = one(shop.owner.merchant.refund_session_funds(s["session_id"], hint))
    assert "Err" in result and result["Err"].split(":")[0] in ("invalid_argument", "not_found"), (hint, result)


@pytest.mark.parametrize("text", WEIRD_TEXTS)
def test_session_id_inputs_never_trap(shop, text):
    calls = [
        lambda: shop.alice.merchant.pay_checkout_session(text),
        lambda: shop.alice.merchant.complete_checkout_session(text, ""),
        lambda: shop.alice.merchant.refund_session_funds(text, "1"),
        lambda: shop.owner.merchant.get_checkout_session(text),
        lambda: shop.owner.merchant.expire_checkout_session(text),
        lambda: shop.owner.merchant.refund_payment(text, [1], []),
        lambda: shop.owner.merchant.get_payment(text),
    ]
    for make_call in calls:
        result = one(make_call())
        assert "Err" in result and result["Err"].split(":")[0] in ("invalid_argument", "not_found"), (text, result)


@pytest.mark.parametrize("amount", HUGE)
def test_amount_inputs_never_trap(shop, amount):
    ok(shop.pay_icrc2(shop.alice, shop.create_session()))
    payment_id = ok(shop.owner.merchant.list_payments([], []))["payments"][0]["payment_id"]
    for result in (
        one(shop.owner.merchant.refund_payment(payment_id, [amount], [])),
        one(shop.owner.merchant.create_payout(SYMBOL, amount, [], [])),
    ):
        assert "Err" in result, (amount, result)
    if amount < 2**64:
        result = one(
            shop.api.merchant.create_checkout_session_with_options(session_args(amount, expires_in_seconds=[amount]))
        )
        assert "Err" in result


@pytest.mark.parametrize("reason", ["é" * 500, "\U0001f600" * 500, "x" * 501, "\u0000"])
def test_refund_and_payout_texts_never_trap(shop, reason):
    ok(shop.pay_icrc2(shop.alice, shop.create_session()))
    ok(shop.pay_icrc2(shop.bob, shop.create_session()))
    payment_id = ok(shop.owner.merchant.list_payments([], []))["payments"][0]["payment_id"]
    refund = one(shop.owner.merchant.refund_payment(payment_id, [1000], [reason]))
    payout = one(shop.owner.merchant.create_payout(SYMBOL, 1000, [], [reason]))
    for result in (refund, payout):
        assert "Ok" in result or result["Err"].startswith("invalid_argument"), result
    assert code(shop.owner.merchant.create_payout(reason[:20], 1000, [], [])) == "invalid_argument"
    assert reconcile_row(shop)["matches"]


def test_payout_subaccount_and_destination_inputs(shop):
    ok(shop.pay_icrc2(shop.alice, shop.create_session()))
    for sub in (b"", b"\x01" * 31, b"\x01" * 33):
        assert (
            code(shop.owner.merchant.create_payout(SYMBOL, 1000, [acct(shop.owner.principal, sub)], []))
            == "invalid_argument"
        )
    assert code(shop.owner.merchant.create_payout(SYMBOL, 1000, [acct(shop.merchant_id)], [])) == "invalid_argument"
    assert code(shop.owner.merchant.create_payout(SYMBOL, 1000, [acct("2vxsx-fae")], [])) == "invalid_argument"
    assert (
        plain(ok(shop.owner.merchant.create_payout(SYMBOL, 1000, [acct(shop.owner.principal, b"\x07" * 32)], [])))[
            "amount"
        ]
        == 1000
    )


# -- authorization --------------------------------------------------------------------------
def test_customers_cannot_act_on_each_others_funds(shop):
    s = shop.create_session()
    ok(shop.pay_icrc2(shop.alice, s))
    late = shop.send_to_session(shop.alice, s, 1_000_000)  # a second, late payment by Alice
    assert code(shop.bob.merchant.refund_session_funds(s["session_id"], str(late))) == "unauthorized"
    assert code(shop.anon.merchant.refund_session_funds(s["session_id"], str(late))) == "unauthorized"
    payment_id = shop.session(s["session_id"])["payment_intent_id"][0]
    for party in (shop.alice, shop.bob, shop.anon, shop.api):
        assert code(party.merchant.refund_payment(payment_id, [1000], [])) == "unauthorized"
        assert code(party.merchant.create_payout(SYMBOL, 1000, [acct(party.principal)], [])) == "unauthorized"
    assert code(shop.anon.merchant.pay_checkout_session(shop.create_session()["session_id"])) == "unauthorized"
    assert ok(shop.alice.merchant.refund_session_funds(s["session_id"], str(late)))["amount"] == 1_000_000 - FEE
    assert code(shop.alice.merchant.refund_session_funds(s["session_id"], str(late))) == "conflict"
    assert err(shop.alice.merchant.complete_checkout_session(s["session_id"], str(late))).startswith("conflict")
