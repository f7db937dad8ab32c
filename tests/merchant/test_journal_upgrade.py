"""An upgrade from the release before the journal (main at 4fbc0a5) with ledger operations
in flight: post_upgrade takes its session locks, transfer intents and sweep records into the
journal (ledger_journal.py, journal_migration.py), and the journal's recovery timer settles
each of them exactly once: the ledger answers every replay `Duplicate` (no block is added),
every payment, refund and payout is recorded once and the books match the ledger.

The old release is built from its own source (`git archive` of that commit) and installed
as the shop's merchant canister; the operations are interrupted the way they are on the IC:
a callback that trapped after the ledger took the money (`trap_at`), and a refund whose
ledger call is still in flight when the upgrade happens, so its response reaches the new
module (which localnet runs as the trap it is on Kybra 0.7.1)."""

from __future__ import annotations

from kybra import Principal
from merchant_client import FEE, MERCHANT_ENTRY, PRICE, ROOT, SYMBOL, code, ok, status, trap_at
from release_export import old_shop, release_root  # noqa: F401 - the fixtures
from test_merchant_adversarial import reconcile_row, rejected, step_until, submit_to, waiting_on
from test_merchant_recovery import CHARGE_TIMER_STALE_SECONDS, log_length, paid_payment, trapped_charge, trapped_sweep

OLD_RELEASE = "4fbc0a5"  # the release whose locks and intents live in their own maps
RELEASE = OLD_RELEASE  # what `old_shop` runs


def test_upgrade_from_the_release_before_the_journal_settles_what_was_in_flight_once(old_shop):  # noqa: F811
    shop = old_shop
    net = shop.server.network
    payment_id = paid_payment(shop)  # Alice's payment (Bob's pays the fees)
    alice_before = shop.alice.ledger.balance()
    charge = trapped_charge(shop, PRICE + FEE)  # Alice's ICRC-2 charge: money taken, session lock left
    sweep, sweep_block = trapped_sweep(shop)  # Alice's ICRC-1 deposit swept, completion's lock left
    owner_before = shop.owner.ledger.balance()
    trap_at(shop, "after_call", "icrc1_transfer")
    assert rejected(
        lambda: shop.owner.merchant.create_payout(SYMBOL, PRICE // 4, [], ["weekly"])
    )  # a transfer intent left
    assert shop.owner.ledger.balance() == owner_before + PRICE // 4
    with shop.server.lock:
        refund = submit_to(shop, shop.owner, shop.merchant_id, "refund_payment", payment_id, PRICE // 2, None)
        step_until(shop, waiting_on("icrc1_transfer"))  # the refund's transfer is in flight ...
        module = net.build_module(MERCHANT_ENTRY, ROOT)
        net.install_code(Principal.from_str(shop.merchant_id), module, mode="upgrade")  # ... across the upgrade
        net.run_until_idle()
        assert net.status(refund).state == "rejected"  # its response reached the new module: a trap
    blocks = log_length(shop)
    assert (
        shop.alice.ledger.balance() == alice_before - 2 * PRICE - 3 * FEE + PRICE // 2
    )  # charge (and its approval), deposit, refund
    assert (
        code(shop.alice.merchant.pay_checkout_session(charge["session_id"])) == "conflict"
    )  # the journal holds its lock

    shop.advance(CHARGE_TIMER_STALE_SECONDS + 120)  # the journal's recovery timer replays all four

    assert log_length(shop) == blocks  # every replay was a Duplicate
    assert shop.alice.ledger.balance() == alice_before - 2 * PRICE - 3 * FEE + PRICE // 2
    charged = shop.session(charge["session_id"])
    assert status(charged) == "complete" and charged["payer"][0].to_str() == shop.alice.principal
    swept = shop.session(sweep["session_id"])
    assert status(swept) == "complete" and swept["amount_received"] == PRICE
    assert ok(shop.owner.merchant.get_payment(swept["payment_intent_id"][0]))["sweep_block"] == [sweep_block]
    payments = ok(shop.owner.merchant.list_payments([], []))["payments"]
    assert len(payments) == 4  # Alice's, Bob's, the charge and the sweep: each once
    (refunded,) = ok(shop.owner.merchant.list_refunds([], []))["refunds"]
    assert refunded["amount"] == PRICE // 2 and refunded["payment_id"] == [payment_id]
    assert ok(shop.owner.merchant.get_payment(payment_id))["refunded"] == PRICE // 2
    (payout,) = ok(shop.owner.merchant.list_payouts([], []))["payouts"]
    assert payout["amount"] == PRICE // 4 and payout["memo"] == ["weekly"]
    assert shop.owner.ledger.balance() == owner_before + PRICE // 4
    row = reconcile_row(shop)
    assert row["matches"] and row["pending_outgoing"] == 0, row
    assert len(ok(shop.owner.merchant.list_events([], [], ["checkout.session.completed"]))["events"]) == 4
    assert len(ok(shop.owner.merchant.list_events([], [], ["payment.refunded"]))["events"]) == 1
    # nothing is left locked: the rest of the payment is refundable, the shop takes new payments
    rest = ok(shop.owner.merchant.refund_payment(payment_id, [], []))
    assert rest["amount"] == PRICE - PRICE // 2
    assert status(ok(shop.pay_icrc2(shop.bob, shop.create_session()))) == "complete"
