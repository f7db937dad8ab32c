"""Risk rules on localnet, each one triggered on its own (score, reasons, decision), the
rules applied to real session payments and one-click charges, blocklists, alerts as
signed `security.alert` webhooks, and config validation."""

from __future__ import annotations

from part2_helpers import (
    PRICE,
    add_webhook,
    approve_merchant,
    charge,
    code,
    drain,
    ok,
    paid_session,
    security_config,
    transaction,
)


def assess(shop, customer: str, amount: int = PRICE, country: str | None = None) -> dict:
    return ok(shop.api.merchant.analyze_transaction_risk(transaction(customer, amount, country)))


def rules(assessment: dict) -> set:
    return set(assessment["rules"])


def test_new_customer_alone_is_allowed(shop):
    a = assess(shop, shop.stranger.principal)
    assert rules(a) == {"new_customer"} and a["risk_score"] == 15 and a["decision"] == "allow"
    assert "new customer" in a["reasons"][0]
    paid_session(shop, shop.alice)
    a = assess(shop, shop.alice.principal)
    assert rules(a) == set() and a["risk_score"] == 0 and a["reasons"] == ["no risk signals"]


def test_merchant_blocklist_blocks_session_payments_and_raises_alerts(shop, receiver):
    add_webhook(shop, receiver, ["security.alert"])
    ok(shop.owner.merchant.block_address_for_merchant(shop.bob.principal, "chargeback fraud"))
    a = assess(shop, shop.bob.principal)
    assert "merchant_blocklist" in rules(a) and a["decision"] == "block" and a["risk_score"] == 100
    assert any("chargeback fraud" in r for r in a["reasons"])
    s = shop.create_session()
    res = shop.pay_icrc2(shop.bob, s)
    assert "Err" in res and res["Err"].startswith("blocked:")
    assert shop.session(s["session_id"])["status"] == {"open": None}
    alerts = ok(shop.api.merchant.get_security_alerts())
    assert [a["alert_type"] for a in alerts[:2]] == ["payment_blocked", "address_blocked"]
    assert alerts[0]["customer"][0].to_str() == shop.bob.principal
    drain(shop)
    delivered = [r["json"]["data"]["object"]["alert_type"] for r in receiver.events("security.alert")]
    assert delivered == ["address_blocked", "payment_blocked"]
    assert all(r["valid_with"] for r in receiver.events())
    # the blocklist is part of the config; removing it there unblocks
    config = ok(shop.owner.merchant.get_security_config())
    assert config["merchant_blocked_addresses"] == [shop.bob.principal]
    config["merchant_blocked_addresses"] = []
    ok(shop.owner.merchant.update_security_config(config))
    assert "merchant_blocklist" not in rules(assess(shop, shop.bob.principal))
    ok(shop.pay_icrc2(shop.bob, s))


def test_velocity_per_hour_and_per_day(shop):
    limits = {"max_payments_per_hour": 2, "max_payments_per_day": 3, "max_verification_requests_per_hour": 5}
    ok(shop.owner.merchant.update_security_config(security_config(custom_rate_limits=limits)))
    alice = shop.alice.principal
    paid_session(shop, shop.alice)
    assert rules(assess(shop, alice)) == set()
    paid_session(shop, shop.alice)
    a = assess(shop, alice)
    assert rules(a) == {"velocity_hour"} and a["decision"] == "review" and a["risk_score"] == 40
    assert "2 payments in the last hour" in a["reasons"][0]
    # a review lets a session payment through and records an alert
    paid_session(shop, shop.alice)
    assert ok(shop.api.merchant.get_security_alerts())[0]["alert_type"] == "payment_review"
    assert rules(assess(shop, alice)) == {"velocity_hour", "velocity_day"}
    shop.advance(3601)
    assert rules(assess(shop, alice)) == {"velocity_day"}
    shop.advance(24 * 3600)
    assert rules(assess(shop, alice)) == set()


def test_amount_far_above_history(shop):
    for _ in range(3):
        paid_session(shop, shop.alice)
    alice = shop.alice.principal
    assert rules(assess(shop, alice, 5 * PRICE)) == set()
    a = assess(shop, alice, 5 * PRICE + 1)
    assert rules(a) == {"amount_vs_history"} and a["risk_score"] == 25 and a["decision"] == "allow"


def test_countries_threshold_and_tolerance(shop):
    ok(
        shop.owner.merchant.update_security_config(
            security_config(allowed_countries=["CH", "DE"], require_2fa_over=10_000_000)
        )
    )
    stranger = shop.stranger.principal
    assert rules(assess(shop, stranger, country="DE")) == {"new_customer"}
    assert rules(assess(shop, stranger)) == {"new_customer"}  # unknown country: not judged
    a = assess(shop, stranger, country="US")
    assert rules(a) == {"new_customer", "country_not_allowed"} and a["risk_score"] == 65 and a["decision"] == "review"
    a = assess(shop, stranger, 10_000_000, "DE")
    assert rules(a) == {"new_customer", "verification_threshold"} and a["requires_verification"]
    assert a["decision"] == "review"
    assert rules(assess(shop, stranger, 9_999_999, "DE")) == {"new_customer"}
    ok(
        shop.owner.merchant.update_security_config(
            security_config(allowed_countries=["CH"], risk_tolerance={"Low": None})
        )
    )
    assert assess(shop, stranger, country="US")["decision"] == "block"
    ok(
        shop.owner.merchant.update_security_config(
            security_config(allowed_countries=["CH"], risk_tolerance={"High": None})
        )
    )
    assert assess(shop, stranger, country="US")["decision"] == "review"


def test_required_verification_gates_one_click(shop):
    approve_merchant(shop, shop.alice)
    auth_id = ok(shop.alice.merchant.create_pre_authorization(shop.alice.principal, 1_000_000, "LTT", 3600))
    ok(shop.api.merchant.require_additional_verification(shop.alice.principal, "unusual device"))
    a = assess(shop, shop.alice.principal)
    assert "verification_required" in rules(a) and a["decision"] == "review"
    assert code(charge(shop, auth_id, 1_000)) == "verification_required"
    ok(shop.owner.merchant.block_address_for_merchant(shop.alice.principal, "fraud"))
    assert code(charge(shop, auth_id, 1_000)) == "blocked"


def test_security_config_validation_and_access(shop):
    m = shop.owner.merchant
    assert code(m.update_security_config(security_config(allowed_countries=["usa"]))) == "invalid_argument"
    bad_limits = {"max_payments_per_hour": 0, "max_payments_per_day": 1, "max_verification_requests_per_hour": 1}
    assert code(m.update_security_config(security_config(custom_rate_limits=bad_limits))) == "invalid_argument"
    prefs = {"email_enabled": True, "sms_enabled": True, "totp_enabled": True, "code_ttl_seconds": 5, "max_attempts": 5}
    assert code(m.update_security_config(security_config(verification_preferences=prefs))) == "invalid_argument"
    assert code(m.block_address_for_merchant("", "x")) == "invalid_argument"
    assert code(m.block_address_for_merchant("é" * 50, "x")) == "invalid_argument"
    ok(m.block_address_for_merchant("a" * 100, "ü" * 300))  # the largest reason fits its map
    too_many = security_config(merchant_blocked_addresses=["addr-%d" % i for i in range(201)])
    assert code(m.update_security_config(too_many)) == "invalid_argument"
    largest = security_config(
        merchant_blocked_addresses=["%03d" % i + "a" * 97 for i in range(200)],
        allowed_countries=["C" + chr(65 + i % 26) for i in range(26)],
    )
    ok(m.update_security_config(largest))  # the largest config fits its map
    assert len(ok(m.get_security_config())["merchant_blocked_addresses"]) == 200
    for party in (shop.api, shop.alice, shop.anon):
        assert code(party.merchant.update_security_config(security_config())) == "unauthorized"
        assert code(party.merchant.block_address_for_merchant("abc", "x")) == "unauthorized"
    for party in (shop.alice, shop.stranger, shop.anon):
        assert code(party.merchant.analyze_transaction_risk(transaction(shop.alice.principal, 1))) == "unauthorized"
        assert code(party.merchant.get_security_alerts()) == "unauthorized"
        assert code(party.merchant.get_security_config()) == "unauthorized"


def test_blocked_payers_icrc1_deposit_is_returned(shop, receiver):
    """Issue 16 #3: the plain ICRC-1 transfer the hosted page's QR code asks for is screened
    like every other path: a blocked payer's deposit goes back to them minus the ledger fee,
    the session is not completed, and an alert and a `payment.failed` event are raised.
    Another payer can still pay the session afterwards."""
    from part2_helpers import FEE

    add_webhook(shop, receiver, ["security.alert", "payment.failed"])
    ok(shop.owner.merchant.block_address_for_merchant(shop.bob.principal, "chargeback fraud"))
    s = shop.create_session()
    bob_before = shop.bob.ledger.balance()
    block = shop.send_to_session(shop.bob, s, PRICE)
    res = shop.complete(shop.bob, s, block)
    assert "Err" in res and res["Err"].startswith("blocked:") and "returned" in res["Err"], res
    assert shop.session(s["session_id"])["status"] == {"open": None}
    assert shop.bob.ledger.balance() == bob_before - 2 * FEE  # the transfer's fee and the return's
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == 0
    alerts = ok(shop.api.merchant.get_security_alerts())
    assert alerts[0]["alert_type"] == "payment_blocked" and "ICRC-1 deposit" in alerts[0]["message"]
    (failed,) = ok(shop.api.merchant.list_events([], [], ["payment.failed"]))["events"]
    assert '"returned":' + str(PRICE - FEE) in failed["data_json"]
    # a second completion attempt returns nothing twice; a payer who is not blocked pays it
    assert "Err" in shop.complete(shop.bob, s, block)
    assert shop.bob.ledger.balance() == bob_before - 2 * FEE
    paid = shop.send_to_session(shop.alice, s, PRICE)
    ok(shop.complete(shop.alice, s, paid))
    done = shop.session(s["session_id"])
    assert done["status"] == {"complete": None}
    assert done["payer"][0].to_str() == shop.alice.principal
