"""Multi-token (seed feature 5): merchant preferences with validation, the customer history
updated by payments, recommendations from ledger balances, and the merchant's cost estimate.
The scoring function is also checked directly with a USD rate (the local factory has no
market data in these tests)."""

from __future__ import annotations

from merchant_client import FEE, PRICE, SYMBOL, code, ok, one, token_preferences

from src.user_payment_canister.token_prefs import score_token


def test_preferences_and_cost_estimate(shop):
    owner = shop.owner.merchant
    assert one(shop.anon.merchant.get_merchant_token_preferences())["preferred_tokens"] == []
    assert ok(owner.update_merchant_token_preferences(token_preferences())) is None
    prefs = one(shop.stranger.merchant.get_merchant_token_preferences())
    assert prefs["token_priorities"] == [{"key": SYMBOL, "value": 5}]
    bad = {
        "unsupported_token": token_preferences(preferred_tokens=["NOPE"]),
        "invalid_argument": token_preferences(token_priorities=[{"key": SYMBOL, "value": 11}]),
    }
    for expected, prefs in bad.items():
        assert code(owner.update_merchant_token_preferences(prefs)) == expected
    assert (
        code(
            owner.update_merchant_token_preferences(
                token_preferences(merchant_fee_overrides=[{"key": SYMBOL, "value": 1001}])
            )
        )
        == "invalid_argument"
    )
    assert code(shop.api.merchant.update_merchant_token_preferences(token_preferences())) == "unauthorized"
    # ledger fee of the sweep + 50 basis points
    assert ok(shop.anon.merchant.estimate_transaction_cost_for_merchant(SYMBOL, 1_000_000)) == FEE + 5_000
    assert code(shop.anon.merchant.estimate_transaction_cost_for_merchant("NOPE", 1)) == "unsupported_token"
    assert code(shop.anon.merchant.estimate_transaction_cost_for_merchant(SYMBOL, 0)) == "invalid_argument"


def test_history_and_recommendations(shop):
    ok(shop.owner.merchant.update_merchant_token_preferences(token_preferences()))
    s = shop.create_session()
    block = shop.send_to_session(shop.alice, s, PRICE)
    ok(shop.complete(shop.alice, s, block))
    history = ok(shop.alice.merchant.get_customer_token_history(shop.alice.principal))
    assert history["token_usage_frequency"] == [{"key": SYMBOL, "value": 1}]
    assert history["average_transaction_sizes"] == [{"key": SYMBOL, "value": PRICE}]
    assert history["last_used_tokens"] == [SYMBOL] and history["preferred_tokens"] == [SYMBOL]
    assert code(shop.bob.merchant.get_customer_token_history(shop.alice.principal)) == "unauthorized"
    ok(shop.api.merchant.track_customer_token_usage(shop.alice.principal, SYMBOL, PRICE * 3))
    history = ok(shop.api.merchant.get_customer_token_history(shop.alice.principal))
    assert history["average_transaction_sizes"] == [{"key": SYMBOL, "value": 2 * PRICE}]
    (rec,) = ok(shop.alice.merchant.get_personalized_token_recommendations(shop.alice.principal, 2_500))
    assert rec["token_symbol"] == SYMBOL
    assert rec["available_balance"] == shop.alice.ledger.balance()
    assert rec["estimated_fee"] == FEE
    assert rec["merchant_bonus"] == 20.0  # priority 5 -> 10, preferred -> +10
    assert rec["customer_history_bonus"] == 13.0  # 2 uses -> 8, used last -> +5
    assert rec["fiat_equivalent"]["available"] is False  # this merchant has no factory
    assert "no USD rate" in rec["recommendation_reason"]
    (fresh,) = ok(shop.bob.merchant.get_personalized_token_recommendations(shop.bob.principal, 2_500))
    assert fresh["customer_history_bonus"] == 0.0
    assert code(shop.bob.merchant.get_personalized_token_recommendations(shop.alice.principal, 2_500)) == "unauthorized"
    assert (
        code(shop.alice.merchant.get_personalized_token_recommendations(shop.alice.principal, 0)) == "invalid_argument"
    )


def test_score_with_a_usd_rate():
    token = {"symbol": "ckUSDC", "fee": 10_000, "decimals": 6}
    prefs = {
        "preferred_tokens": [],
        "token_priorities": [],
        "minimum_amounts": [],
        "merchant_fee_overrides": [],
        "auto_convert_to": None,
    }
    # $25.00 at 1 USD per token: 25_000_000 base units + fee
    rich = score_token(token, 30_000_000, 1.0, 2_500, prefs, None)
    assert rich["total_cost"] == 25_000_000 + 10_000
    assert rich["fiat_equivalent"] == {"currency": "USD", "amount_cents": 3_000, "rate": 1.0, "available": True}
    assert "balance covers the payment" in rich["recommendation_reason"]
    poor = score_token(token, 1_000_000, 1.0, 2_500, prefs, None)
    assert "short of" in poor["recommendation_reason"]
    assert rich["recommendation_score"] - poor["recommendation_score"] == 50.0
    strict = dict(prefs, minimum_amounts=[{"key": "ckUSDC", "value": 50_000_000}])
    below = score_token(token, 30_000_000, 1.0, 2_500, strict, None)
    assert below["recommendation_score"] == rich["recommendation_score"] - 30.0
