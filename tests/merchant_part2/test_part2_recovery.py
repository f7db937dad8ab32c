"""Recovery and bounded housekeeping of part 2: a one-click charge whose message traps after
the ledger call is resumed (by the merchant's retry or by the maintenance timer) with the
same created_at_time and memo, so the ledger answers Duplicate and the customer is charged
once; expired pre-authorizations leave the active count; expired verification records are
pruned. Traps are injected at call boundaries (`trap_at`, localnet's fault seam): the
callback of the merchant's icrc2_transfer_from traps, or its timers do."""

from __future__ import annotations

from merchant_client import acct, trap_at
from part2_helpers import FEE, approve_merchant, charge, code, limits, ok, pre_auth_args

from localnet.runtime.faults import TIMER

CHARGE_STALE_SECONDS = 300
EMAIL = {"Email": None}


def without_one_click_timer(shop) -> None:
    """Keep the timers from resuming charges, to test the retry path alone: a timer's
    charge traps before it is sent."""
    trap_at(shop, "before_call", "icrc2_transfer_from", origin="timer", times=None)


def rejected(call) -> bool:
    try:
        call()
    except Exception:  # noqa: BLE001 - ic-py raises plain Exceptions for rejects
        return True
    return False


def trapped_charge(shop, amount: int) -> tuple:
    """A pre-authorization (1.5M per hour spending limit) whose first charge trapped after
    the ledger took the money; returns (auth_id, balance before the charge)."""
    alice = shop.alice.principal
    approve_merchant(shop, shop.alice)
    auth_id = ok(
        shop.alice.merchant.create_pre_authorization_with_options(
            pre_auth_args(alice, 1_000_000, uses=3, duration=7200)
        )
    )
    ok(shop.alice.merchant.update_merchant_spending_limits(alice, limits(1_000_000, 1_500_000, 7200)))
    before = shop.alice.ledger.balance()
    trap_at(shop, "after_call", "icrc2_transfer_from")
    assert rejected(lambda: charge(shop, auth_id, amount))
    assert shop.alice.ledger.balance() == before - amount - FEE  # the ledger did take it
    auth = ok(shop.api.merchant.get_pre_authorization(auth_id))
    assert auth["in_flight"] and auth["uses_remaining"] == 2 and auth["charges"] == 0
    return auth_id, before


def assert_charged_once(shop, auth_id: str, before: int, amount: int) -> str:
    assert shop.alice.ledger.balance() == before - amount - FEE
    auth = ok(shop.api.merchant.get_pre_authorization(auth_id))
    assert not auth["in_flight"] and auth["uses_remaining"] == 2
    assert auth["charges"] == 1 and auth["total_charged"] == amount
    (payment,) = ok(shop.owner.merchant.list_payments([], []))["payments"]
    assert payment["method"] == "one_click" and payment["amount"] == amount
    (row,) = [r for r in ok(shop.owner.merchant.reconcile_balances()) if r["symbol"] == "LTT"]
    assert row["matches"], row
    assert len(ok(shop.api.merchant.list_events([], [], ["one_click.charged"]))["events"]) == 1
    return payment["payment_id"]


def test_trapped_charge_is_resumed_by_the_retry_and_charged_once(shop):
    without_one_click_timer(shop)
    auth_id, before = trapped_charge(shop, 1_000_000)
    assert code(charge(shop, auth_id, 1_000_000)) == "conflict"  # not stale yet
    shop.advance(CHARGE_STALE_SECONDS + 1)
    assert code(charge(shop, auth_id, 999)) == "conflict"  # another amount must wait for the interrupted one
    payment_id = ok(charge(shop, auth_id, 1_000_000))  # the ledger answers Duplicate
    assert assert_charged_once(shop, auth_id, before, 1_000_000) == payment_id
    # the interrupted charge's spend counts against the period limit exactly once
    assert code(charge(shop, auth_id, 600_000)) == "limit_exceeded"
    ok(charge(shop, auth_id, 500_000))
    assert shop.alice.ledger.balance() == before - 1_500_000 - 2 * FEE


def test_trapped_charge_is_resumed_by_the_timer(shop):
    auth_id, before = trapped_charge(shop, 700_000)
    shop.advance(60)
    assert ok(shop.api.merchant.get_pre_authorization(auth_id))["in_flight"]  # not before it is stale
    shop.advance(CHARGE_STALE_SECONDS + 60)
    assert_charged_once(shop, auth_id, before, 700_000)
    ok(charge(shop, auth_id, 800_000))  # 1.5M in the period: exactly at the limit
    assert shop.alice.ledger.balance() == before - 1_500_000 - 2 * FEE


def test_trapped_charge_past_the_window_is_found_in_the_ledger_blocks(shop):
    """No retry and no timer ran for 25 h: the resumed charge gets TooOld, so it is looked
    up in the ledger's blocks, found, and recorded with its block, once."""
    auth_id, before = trapped_charge(shop, 700_000)
    charge_block = shop.owner.ledger.blocks([(0, 0)])["log_length"] - 1
    shop.advance(25 * 60 * 60)
    shop.advance(120)  # a maintenance tick may still be reaching the charge's minute
    payment_id = assert_charged_once(shop, auth_id, before, 700_000)
    assert ok(shop.owner.merchant.get_payment(payment_id))["ledger_block"] == [charge_block]
    assert shop.owner.ledger.blocks([(0, 0)])["log_length"] == charge_block + 1  # nothing sent again


def test_refused_charge_past_the_window_gives_the_use_back(shop):
    """The ledger refused the charge (the allowance was revoked) and the callback trapped;
    25 h later the lookup finds no transfer, so the use and the spend are given back and the
    merchant gets `payment.failed`."""
    alice = shop.alice.principal
    approve_merchant(shop, shop.alice)
    auth_id = ok(
        shop.alice.merchant.create_pre_authorization_with_options(
            pre_auth_args(alice, 1_000_000, uses=3, duration=7 * 86400)
        )
    )
    ok(shop.alice.merchant.update_merchant_spending_limits(alice, limits(1_000_000, 1_500_000, 7200)))
    assert "Ok" in shop.alice.ledger.approve(acct(shop.merchant_id), 0)
    before = shop.alice.ledger.balance()
    trap_at(shop, "after_call", "icrc2_transfer_from")  # the refusal's callback
    assert rejected(lambda: charge(shop, auth_id, 400_000))
    assert ok(shop.api.merchant.get_pre_authorization(auth_id))["in_flight"]
    shop.advance(25 * 60 * 60)
    shop.advance(120)
    auth = ok(shop.api.merchant.get_pre_authorization(auth_id))
    assert not auth["in_flight"] and auth["uses_remaining"] == 3 and auth["charges"] == 0
    (failed,) = ok(shop.api.merchant.list_events([], [], ["payment.failed"]))["events"]
    assert "deduplication window" in failed["data_json"]
    assert shop.alice.ledger.balance() == before
    assert ok(shop.owner.merchant.list_payments([], []))["payments"] == []


def test_a_trap_resuming_one_charge_leaves_the_other_due_charges_queued(shop):
    """Interleaving seed 31 (benchmarks/interleavings): two charges at two pre-authorizations
    were interrupted, and the timer that resumed them trapped in the callback of the first
    replay. The second must still be resumed by a later tick: it was taken off the queue of
    due charges with the first, so it stayed in flight for good."""
    auths, befores = [], []
    for party in (shop.alice, shop.bob):
        customer = party.principal
        approve_merchant(shop, party)
        auths.append(
            ok(
                party.merchant.create_pre_authorization_with_options(
                    pre_auth_args(customer, 1_000_000, uses=3, duration=7200)
                )
            )
        )
        befores.append(party.ledger.balance())
    trap_at(shop, "after_call", "icrc2_transfer_from", origin="ingress", times=2)
    for auth_id in auths:
        assert rejected(lambda auth_id=auth_id: charge(shop, auth_id, 400_000))
    timer_trap = trap_at(shop, "after_call", "icrc2_transfer_from", origin="timer")
    shop.advance(CHARGE_STALE_SECONDS + 60)  # one tick takes both stale charges
    assert timer_trap.fired == 1
    shop.advance(CHARGE_STALE_SECONDS + 60)
    shop.advance(120)
    for auth_id, party, before in zip(auths, (shop.alice, shop.bob), befores):
        auth = ok(shop.api.merchant.get_pre_authorization(auth_id))
        assert not auth["in_flight"] and auth["charges"] == 1, auth
        assert party.ledger.balance() == before - 400_000 - FEE  # charged once
    assert len(ok(shop.owner.merchant.list_payments([], []))["payments"]) == 2


def active(shop) -> int:
    return ok(shop.api.merchant.get_merchant_one_click_analytics())["active_authorizations"]


def test_expired_authorizations_leave_the_active_count(shop):
    alice = shop.alice.principal
    approve_merchant(shop, shop.alice)
    short = ok(shop.alice.merchant.create_pre_authorization(alice, 1_000, "LTT", 120))
    long = ok(shop.alice.merchant.create_pre_authorization(alice, 1_000, "LTT", 3600))
    assert active(shop) == 2
    shop.advance(121 + 120)  # past the expiry and through a maintenance tick
    assert active(shop) == 1
    assert ok(shop.api.merchant.get_pre_authorization(short))["status"] == "expired"
    assert code(charge(shop, short, 1)) == "expired"
    ok(shop.alice.merchant.revoke_authorization(short))  # revoking an expired one does not count twice
    assert active(shop) == 1
    ok(shop.alice.merchant.revoke_authorization(long))
    stats = ok(shop.api.merchant.get_merchant_one_click_analytics())
    assert stats["active_authorizations"] == 0 and stats["revoked_authorizations"] == 2
    assert stats["total_authorizations"] == 2
    shop.advance(3600)  # the long one's expiry entry finds it revoked: no change
    assert active(shop) == 0


def test_expired_verifications_are_pruned(shop):
    alice = shop.alice.principal
    first = ok(shop.alice.merchant.request_transaction_verification(5, alice, EMAIL))["verification_id"]
    assert ok(shop.alice.merchant.verify_transaction(first, "000000")) in (False, True)
    shop.advance(601)  # past code_ttl_seconds
    assert code(shop.alice.merchant.verify_transaction(first, "000000")) == "expired"
    shop.advance(3600 + 120)  # kept an hour after expiry, then pruned by the timer
    assert code(shop.alice.merchant.verify_transaction(first, "000000")) == "not_found"
    # a later request prunes too (a few per message), without the timer
    trap_at(shop, "message", TIMER, times=None)  # no timer runs from now on
    second = ok(shop.alice.merchant.request_transaction_verification(5, alice, EMAIL))["verification_id"]
    shop.advance(601 + 3600 + 120)
    ok(shop.alice.merchant.request_transaction_verification(5, alice, EMAIL))
    assert code(shop.alice.merchant.verify_transaction(second, "000000")) == "not_found"
