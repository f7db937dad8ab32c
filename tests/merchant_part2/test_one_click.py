"""One-click payments on localnet: pre-authorizations checked against the customer's real
ICRC-2 allowance, charges with icrc2_transfer_from at and over every limit (max amount,
uses, expiry, per-transaction and per-period spending limits), ledger failures that give
the reservation back, revocation, the risk gate, and the access rules."""

from __future__ import annotations

from part2_helpers import FEE, NS, approve_merchant, charge, code, limits, ok, pre_auth_args


def test_pre_authorization_needs_a_covering_allowance(shop):
    alice = shop.alice.principal
    m = shop.alice.merchant
    assert code(m.create_pre_authorization(alice, 2_000_000, "LTT", 3600)) == "insufficient_allowance"
    approve_merchant(shop, shop.alice, 2_000_000)  # does not cover max_amount + fee
    assert code(m.create_pre_authorization(alice, 2_000_000, "LTT", 3600)) == "insufficient_allowance"
    approve_merchant(shop, shop.alice, 2_000_000 + FEE, expires_at=shop.now() + 1800 * NS)
    assert code(m.create_pre_authorization(alice, 2_000_000, "LTT", 3600)) == "allowance_expires_early"
    approve_merchant(shop, shop.alice, 2_000_000 + FEE, expires_at=shop.now() + 7200 * NS)
    auth_id = ok(m.create_pre_authorization(alice, 2_000_000, "LTT", 3600))
    auth = ok(m.get_pre_authorization(auth_id))
    assert auth["max_amount"] == 2_000_000 and auth["uses_remaining"] == 10 and auth["status"] == "active"
    assert auth["customer_principal"].to_str() == alice
    assert auth["expires_at"] - auth["created_at"] == 3600 * NS
    # a profile was created on the way
    assert ok(m.get_payment_profile(alice))["principal"].to_str() == alice
    big = [{"key": "k%d" % i, "value": "é" * 500} for i in range(50)]  # within Stripe's limits, too many bytes
    assert code(m.create_pre_authorization_with_options(pre_auth_args(alice, 1, metadata=big))) == "invalid_argument"
    for bad in ((alice, 0, "LTT", 3600), (alice, 1, "NOPE", 3600), (alice, 1, "LTT", 10)):
        assert code(m.create_pre_authorization(*bad)) in ("invalid_argument", "unsupported_token")


def test_charges_at_and_over_max_amount_and_uses(shop):
    approve_merchant(shop, shop.alice)
    auth_id = ok(
        shop.alice.merchant.create_pre_authorization_with_options(
            pre_auth_args(shop.alice.principal, 2_000_000, uses=2)
        )
    )
    alice_before = shop.alice.ledger.balance()
    merchant_before = shop.merchant_balance()
    assert code(charge(shop, auth_id, 2_000_001)) == "limit_exceeded"
    first = ok(charge(shop, auth_id, 2_000_000))
    second = ok(charge(shop, auth_id, 1))
    assert first != second and first.startswith("pay_")
    assert code(charge(shop, auth_id, 1)) == "limit_exceeded"  # no uses left
    assert shop.alice.ledger.balance() == alice_before - 2_000_001 - 2 * FEE
    assert shop.merchant_balance() == merchant_before + 2_000_001
    auth = ok(shop.api.merchant.get_pre_authorization(auth_id))
    assert auth["uses_remaining"] == 0 and auth["charges"] == 2 and auth["total_charged"] == 2_000_001
    payment = ok(shop.owner.merchant.get_payment(first))
    assert payment["method"] == "one_click" and payment["amount"] == 2_000_000
    assert payment["payer"][0]["owner"].to_str() == shop.alice.principal
    (row,) = [r for r in ok(shop.owner.merchant.reconcile_balances()) if r["symbol"] == "LTT"]
    assert row["matches"], row
    # a one-click payment is refundable like any other
    ok(shop.owner.merchant.refund_payment(first, [500_000], ["partial"]))


def test_charge_after_expiry_is_refused(shop):
    approve_merchant(shop, shop.alice)
    auth_id = ok(shop.alice.merchant.create_pre_authorization(shop.alice.principal, 1_000_000, "LTT", 120))
    ok(charge(shop, auth_id, 1_000_000))
    shop.advance(121)
    assert code(charge(shop, auth_id, 1_000_000)) == "expired"


def test_spending_limits_per_transaction_and_period(shop):
    alice = shop.alice.principal
    approve_merchant(shop, shop.alice)
    auth_id = ok(
        shop.alice.merchant.create_pre_authorization_with_options(
            pre_auth_args(alice, 5_000_000, uses=20, duration=7200)
        )
    )
    ok(shop.alice.merchant.update_merchant_spending_limits(alice, limits(1_000_000, 2_500_000, 3600)))
    assert code(charge(shop, auth_id, 1_000_001)) == "limit_exceeded"
    ok(charge(shop, auth_id, 1_000_000))
    ok(charge(shop, auth_id, 1_000_000))
    ok(charge(shop, auth_id, 500_000))  # exactly at the period limit
    assert code(charge(shop, auth_id, 1)) == "limit_exceeded"
    shop.advance(3601)  # a new period
    ok(charge(shop, auth_id, 1_000_000))
    profile = ok(shop.api.merchant.get_payment_profile(alice))
    assert profile["spending_limits"][0]["value"]["max_per_period"] == 2_500_000 and profile["last_used"] > 0
    bad = limits(2_000_000, 1_000_000)
    assert code(shop.alice.merchant.update_merchant_spending_limits(alice, bad)) == "invalid_argument"
    assert code(shop.stranger.merchant.update_merchant_spending_limits(alice, limits(1, 1))) == "unauthorized"


def test_ledger_failure_gives_the_use_and_the_spend_back(shop):
    alice = shop.alice.principal
    approve_merchant(shop, shop.alice, 3_000_000)
    auth_id = ok(shop.alice.merchant.create_pre_authorization_with_options(pre_auth_args(alice, 2_000_000, uses=2)))
    ok(shop.alice.merchant.update_merchant_spending_limits(alice, limits(2_000_000, 2_000_000)))
    approve_merchant(shop, shop.alice, 100)  # the customer lowers the allowance on the ledger
    assert code(charge(shop, auth_id, 1_000_000)) == "insufficient_allowance"
    auth = ok(shop.api.merchant.get_pre_authorization(auth_id))
    assert auth["uses_remaining"] == 2 and not auth["in_flight"] and auth["charges"] == 0
    approve_merchant(shop, shop.alice, 3_000_000)
    ok(charge(shop, auth_id, 2_000_000))  # the whole period limit is still available


def test_revoke_then_charge(shop):
    approve_merchant(shop, shop.alice)
    auth_id = ok(shop.alice.merchant.create_pre_authorization(shop.alice.principal, 1_000_000, "LTT", 3600))
    ok(charge(shop, auth_id, 10_000))
    assert code(shop.stranger.merchant.revoke_authorization(auth_id)) == "unauthorized"
    ok(shop.alice.merchant.revoke_authorization(auth_id))
    assert code(charge(shop, auth_id, 10_000)) == "revoked"
    assert code(shop.alice.merchant.revoke_authorization(auth_id)) == "conflict"
    stats = ok(shop.api.merchant.get_merchant_one_click_analytics())
    assert stats["total_authorizations"] == 1 and stats["revoked_authorizations"] == 1
    assert stats["active_authorizations"] == 0 and stats["successful_charges"] == 1
    assert stats["declined_charges"] == 1 and stats["volume"] == [{"key": "LTT", "value": 10_000}]
    assert stats["average_charge"] == 10_000 and stats["total_profiles"] == 1
    (failed,) = ok(shop.api.merchant.list_events([], [], ["payment.failed"]))["events"]
    assert failed["object_id"] == auth_id and "revoked" in failed["data_json"]
    (charged,) = ok(shop.api.merchant.list_events([], [], ["one_click.charged"]))["events"]
    assert '"amount":10000' in charged["data_json"]


def test_who_may_create_and_charge(shop):
    alice = shop.alice.principal
    approve_merchant(shop, shop.alice)
    assert code(shop.stranger.merchant.create_pre_authorization(alice, 1_000, "LTT", 3600)) == "unauthorized"
    assert code(shop.anon.merchant.create_pre_authorization(alice, 1_000, "LTT", 3600)) == "unauthorized"
    auth_id = ok(shop.alice.merchant.create_pre_authorization(alice, 1_000_000, "LTT", 3600))  # the customer's consent
    for party in (shop.alice, shop.stranger, shop.anon):
        assert code(charge(shop, auth_id, 1_000, party)) == "unauthorized"
    assert code(shop.stranger.merchant.get_pre_authorization(auth_id)) == "unauthorized"
    assert code(shop.stranger.merchant.create_payment_profile_for_merchant(alice, [])) == "unauthorized"
    assert code(charge(shop, "pa_unknown", 1)) == "not_found"
    bob = shop.bob.principal
    profile = ok(shop.bob.merchant.create_payment_profile_for_merchant(bob, ["bob@example.com"]))
    assert profile["email"] == ["bob@example.com"] and profile["profile_id"].startswith("prof_")
    assert code(shop.bob.merchant.create_payment_profile_for_merchant(bob, [])) == "already_exists"
    assert (
        code(shop.api.merchant.create_payment_profile_for_merchant(shop.stranger.principal, ["nope"]))
        == "invalid_argument"
    )


def test_the_merchant_cannot_consent_for_the_customer(shop):
    """A leftover allowance is not consent: staff cannot create a pre-authorization for the
    customer, nor raise or remove the customer's limits (only lower them)."""
    alice = shop.alice.principal
    approve_merchant(shop, shop.alice)  # e.g. left over from a checkout
    for staff in (shop.api, shop.owner):
        assert code(staff.merchant.create_pre_authorization(alice, 1_000_000, "LTT", 3600)) == "unauthorized"
        assert (
            code(staff.merchant.create_pre_authorization_with_options(pre_auth_args(alice, 1_000_000)))
            == "unauthorized"
        )
    assert ok(shop.owner.merchant.get_merchant_one_click_analytics())["total_authorizations"] == 0
    ok(shop.alice.merchant.create_payment_profile_for_merchant(alice, []))
    ok(shop.api.merchant.update_merchant_spending_limits(alice, limits(1_000_000, 2_000_000, 3600)))  # from none: lower
    for raised in (
        limits(1_000_001, 2_000_000, 3600),
        limits(1_000_000, 2_000_001, 3600),
        limits(1_000_000, 2_000_000, 60),
        [],
    ):
        assert code(shop.api.merchant.update_merchant_spending_limits(alice, raised)) == "unauthorized"
    ok(shop.api.merchant.update_merchant_spending_limits(alice, limits(500_000, 1_000_000, 7200)))  # lower: fine
    ok(
        shop.alice.merchant.update_merchant_spending_limits(alice, limits(5_000_000, 9_000_000, 3600))
    )  # the customer may raise
    profile = ok(shop.api.merchant.get_payment_profile(alice))
    assert profile["spending_limits"][0]["value"]["max_per_transaction"] == 5_000_000
