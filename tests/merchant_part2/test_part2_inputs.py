"""Hostile inputs and per-caller rate limits on part 2's public methods: every text and nat
input at its boundaries (empty, one over a limit, far over it, control and non-ASCII
characters, 0 and the type's maximum) gives an `Err` with a documented stable code, never
a trap; and the customer-facing methods are rate limited per caller."""

from __future__ import annotations

import pytest
from part2_helpers import approve_merchant, code, limits, ok, pre_auth_args

NAT32_MAX = 2**32 - 1
NAT64_MAX = 2**64 - 1
STABLE_CODES = {
    "invalid_argument",
    "unauthorized",
    "not_found",
    "already_exists",
    "conflict",
    "expired",
    "insufficient_allowance",
    "insufficient_funds",
    "unsupported_token",
    "limit_exceeded",
    "rate_limited",
    "ledger_error",
    "factory_unavailable",
    "unavailable",
    "blocked",
    "verification_required",
    "revoked",
    "allowance_expires_early",
    "locked",
}
BAD_IDS = ["", "x" * 81, "x" * 20_000, "pa_\x00\x01", "é" * 200, "../../etc", "pa_" + "\U0001f600" * 30]


def stable_err(res) -> str:
    value = res[0] if isinstance(res, list) else res
    assert isinstance(value, dict) and "Err" in value, value
    assert code(value) in STABLE_CODES, value
    return code(value)


@pytest.mark.parametrize("bad", BAD_IDS)
def test_id_inputs_give_stable_errors(shop, bad):
    m = shop.api.merchant  # staff: reaches every check past the role check
    stable_err(m.get_pre_authorization(bad))
    stable_err(m.revoke_authorization(bad))
    stable_err(m.execute_one_click_payment(bad, 1, []))
    stable_err(m.verify_transaction(bad, "123456"))
    stable_err(m.get_event(bad))
    stable_err(shop.owner.merchant.get_webhook(bad))
    stable_err(shop.owner.merchant.delete_webhook(bad))
    stable_err(shop.owner.merchant.get_webhook_delivery_stats(bad))
    stable_err(shop.owner.merchant.list_webhook_attempts(bad, [NAT32_MAX]))
    stable_err(shop.owner.merchant.rotate_webhook_secret(bad, [NAT64_MAX]))
    stable_err(shop.owner.merchant.test_webhook(bad))
    stable_err(shop.owner.merchant.cancel_report_schedule(bad))
    stable_err(m.list_events([bad], [], []) if bad != "" else m.list_events([], [], [bad]))
    stable_err(m.list_events([], [], [bad]))
    stable_err(m.register_totp_secret(bad))


def test_number_and_text_boundaries(shop):
    alice = shop.alice.principal
    m = shop.alice.merchant  # only the customer creates pre-authorizations (10 calls a minute)
    approve_merchant(shop, shop.alice)
    for args in (
        (alice, 0, "LTT", 3600),
        (alice, NAT64_MAX, "LTT", 3600),
        (alice, 1, "LTT", 59),
        (alice, 1, "LTT", NAT64_MAX),
        (alice, 1, "", 3600),
        (alice, 1, "L" * 17, 3600),
        (alice, 1, "LTT\x00", 3600),
        (alice, 1, "ltt", 3600),
    ):
        stable_err(m.create_pre_authorization(*args))
    shop.advance(61)  # a new rate-limit window, so every case reaches the checks
    for uses in (0, 1001, NAT32_MAX):
        stable_err(m.create_pre_authorization_with_options(pre_auth_args(alice, 1, uses=uses)))
    auth_id = ok(m.create_pre_authorization(alice, 1_000_000, "LTT", 3600))  # 60 s and 1000 uses are fine
    for amount in (0, 1_000_001, NAT64_MAX):
        stable_err(shop.api.merchant.execute_one_click_payment(auth_id, amount, []))
    for bad in ([{"key": "", "value": "x"}], [{"key": "k" * 41, "value": "x"}], [{"key": "k", "value": "v" * 501}]):
        stable_err(shop.api.merchant.execute_one_click_payment(auth_id, 1, bad))
    for bad in (
        limits(0, 1),
        limits(NAT64_MAX, 1),
        limits(1, 1, 59),
        limits(1, 1, NAT64_MAX),
        limits(1, 1, token=""),
        limits(1, 1) + limits(1, 1),
    ):
        stable_err(shop.alice.merchant.update_merchant_spending_limits(alice, bad))
    for email in ("", "no-at-sign", "a@" + "b" * 400 + ".com", "a\x00@b.com"):
        stable_err(shop.bob.merchant.create_payment_profile_for_merchant(shop.bob.principal, [email]))
    for reason in ("", "x" * 301):
        stable_err(shop.api.merchant.require_additional_verification(alice, reason))
    for bad_code in ("", "1" * 13, "x" * 20_000):
        stable_err(shop.alice.merchant.verify_transaction("ver_unknown", bad_code))
    for bad_limit in ([0], [NAT32_MAX]):
        res = shop.api.merchant.list_events([], bad_limit, [])
        value = res[0] if isinstance(res, list) else res
        assert ("Ok" in value and len(value["Ok"]["events"]) <= 100) or stable_err(value)
    auth = ok(m.get_pre_authorization(auth_id))
    assert auth["uses_remaining"] == 10 and auth["charges"] == 0 and not auth["in_flight"]


def test_customer_methods_are_rate_limited_per_caller(shop):
    alice = shop.alice.principal
    approve_merchant(shop, shop.alice)
    ok(shop.api.merchant.create_payment_profile_for_merchant(alice, []))
    for _ in range(10):
        ok(shop.alice.merchant.update_merchant_spending_limits(alice, limits(1_000, 2_000)))
    assert code(shop.alice.merchant.update_merchant_spending_limits(alice, limits(1_000, 2_000))) == "rate_limited"
    # another caller (the merchant's staff) is not affected by alice's window
    ok(shop.api.merchant.update_merchant_spending_limits(alice, limits(1_000, 2_000)))
    auth_ids = [ok(shop.alice.merchant.create_pre_authorization(alice, 1_000, "LTT", 3600)) for _ in range(10)]
    assert code(shop.alice.merchant.create_pre_authorization(alice, 1_000, "LTT", 3600)) == "rate_limited"
    shop.advance(61)  # a new window
    auth_ids.append(ok(shop.alice.merchant.create_pre_authorization(alice, 1_000, "LTT", 3600)))
    for auth_id in auth_ids[:10]:
        ok(shop.alice.merchant.revoke_authorization(auth_id))
    assert code(shop.alice.merchant.revoke_authorization(auth_ids[10])) == "rate_limited"
    assert ok(shop.api.merchant.get_pre_authorization(auth_ids[10]))["status"] == "active"
    ok(shop.bob.merchant.register_totp_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"))
    for _ in range(4):
        ok(shop.bob.merchant.register_totp_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"))
    assert code(shop.bob.merchant.register_totp_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")) == "rate_limited"
    ok(shop.bob.merchant.remove_totp_secret())
    for _ in range(4):
        assert code(shop.bob.merchant.remove_totp_secret()) == "not_found"
    assert code(shop.bob.merchant.remove_totp_secret()) == "rate_limited"
    shop.advance(61)
    ok(shop.alice.merchant.revoke_authorization(auth_ids[10]))
    assert ok(shop.api.merchant.get_merchant_one_click_analytics())["active_authorizations"] == 0


def test_staff_method_boundaries(shop):
    """Analytics, reports, risk, blocklist and webhook inputs at their limits: each an Err
    with a stable code (the staff/owner caller reaches every check)."""
    from part2_helpers import security_config, transaction, webhook_config

    api, owner = shop.api.merchant, shop.owner.merchant
    day = 86_400 * 10**9
    # the last one: a day whose end a nat64 cannot hold (it trapped on encoding the reply)
    for start, end in ((1, 0), (5, 5), (0, 367 * day), (0, NAT64_MAX), (NAT64_MAX - 1, NAT64_MAX)):
        stable_err(api.get_payment_analytics({"start": start, "end": end}))
        for granularity in ("Day", "Week", "Month"):
            stable_err(api.get_revenue_breakdown({granularity: {"start": start, "end": end}}))
    last_day = (NAT64_MAX // day - 1) * day
    ok(api.get_revenue_breakdown({"Month": {"start": last_day, "end": last_day + day}}))
    for name, granularity, metrics, tokens in (
        ("", "day", ["payments"], []),
        ("n" * 201, "day", ["payments"], []),
        ("r", "year", ["payments"], []),
        ("r", "day", [], []),
        ("r", "day", ["x" * 5000], []),
        ("r", "day", ["payments"], ["L" * 17]),
    ):
        criteria = {
            "name": name,
            "date_range": {"start": 0, "end": day},
            "granularity": granularity,
            "metrics": metrics,
            "tokens": tokens,
        }
        stable_err(api.generate_custom_report(criteria))
    for name, frequency, lookback in (
        ("", "daily", 1),
        ("d", "hourly", 1),
        ("d", "daily", 0),
        ("d", "daily", NAT32_MAX),
    ):
        schedule = {
            "name": name,
            "frequency": frequency,
            "metrics": ["payments"],
            "tokens": [],
            "lookback_days": lookback,
        }
        stable_err(owner.schedule_automated_report(schedule))
    for address, reason in (("", "r"), ("x" * 5000, "r"), ("é" * 10, "r"), ("aaaaa-aa", "x" * 5000)):
        stable_err(owner.block_address_for_merchant(address, reason))
    alice = shop.alice.principal
    for bad in (
        transaction(alice, 1, country="X" * 50),
        dict(transaction(alice, 1), token_symbol=""),
        dict(transaction(alice, 1), token_symbol="L" * 5000),
    ):
        stable_err(api.analyze_transaction_risk(bad))
    for over in (
        {"require_2fa_over": 0, "allowed_countries": ["x" * 100]},
        {
            "custom_rate_limits": {
                "max_payments_per_hour": 0,
                "max_payments_per_day": NAT32_MAX,
                "max_verification_requests_per_hour": 1,
            }
        },
    ):
        stable_err(owner.update_security_config(security_config(**over)))
    for url in ("", "http://example.com/hook", "https://" + "a" * 5000 + ".com", "ftp://x"):
        stable_err(owner.configure_webhook(webhook_config(url)))
    stable_err(owner.configure_webhook(webhook_config("https://example.com/hook", events=["nope.event"])))
