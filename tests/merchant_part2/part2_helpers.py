"""Small helpers shared by the part-2 tests."""

from __future__ import annotations

from merchant_client import FEE, PRICE, SYMBOL, acct, code, ok  # noqa: F401

EVENTS_ALL = ["*"]


def webhook_config(url: str, events: list[str] | None = None, active: bool = True) -> dict:
    return {
        "webhook_id": "",
        "url": url,
        "events": EVENTS_ALL if events is None else events,
        "secret": "",
        "active": active,
        "delivery_stats": {
            "total_deliveries": 0,
            "successful_deliveries": 0,
            "failed_deliveries": 0,
            "pending_deliveries": 0,
            "total_attempts": 0,
            "failed_attempts": 0,
            "last_attempt_at": [],
            "last_success_at": [],
            "last_status_code": [],
        },
        "previous_secret": [],
        "previous_secret_expires_at": [],
        "created_at": 0,
        "updated_at": 0,
    }


def add_webhook(shop, receiver, events: list[str] | None = None) -> str:
    """Configure a webhook to the receiver and teach the receiver its secret."""
    webhook_id = ok(shop.owner.merchant.configure_webhook(webhook_config(receiver.url, events)))
    secret = ok(shop.owner.merchant.get_webhook(webhook_id))["secret"]
    assert secret.startswith("whsec_") and len(secret) == 6 + 64
    receiver.secrets.append(secret)
    return webhook_id


def drain(shop) -> None:
    """Run the network until idle: due timers (deliveries) fire."""
    shop.advance(0)


def paid_session(shop, party, amount: int = PRICE) -> dict:
    s = shop.create_session(amount)
    ok(shop.pay_icrc2(party, s))
    return shop.session(s["session_id"])


NS = 1_000_000_000
BIG_ALLOWANCE = 100_000_000


def approve_merchant(shop, party, amount: int = BIG_ALLOWANCE, expires_at: int | None = None) -> None:
    res = party.ledger.approve(acct(shop.merchant_id), amount, expires_at=expires_at)
    assert "Ok" in res, res


def pre_auth_args(
    customer: str,
    max_amount: int,
    uses: int = 10,
    duration: int = 3600,
    token: str = SYMBOL,
    metadata: list | None = None,
) -> dict:
    return {
        "customer": customer,
        "max_amount": max_amount,
        "token": token,
        "duration": duration,
        "uses": uses,
        "metadata": metadata or [],
    }


def limits(max_tx: int, max_period: int, period_seconds: int = 3600, token: str = SYMBOL) -> list:
    return [
        {
            "key": token,
            "value": {"max_per_transaction": max_tx, "max_per_period": max_period, "period_seconds": period_seconds},
        }
    ]


def charge(shop, auth_id: str, amount: int, party=None):
    party = party or shop.api
    return party.merchant.execute_one_click_payment(auth_id, amount, [{"key": "order", "value": "A-1"}])


def security_config(**over) -> dict:
    value = {
        "require_2fa_over": 0,
        "allowed_countries": [],
        "merchant_blocked_addresses": [],
        "custom_rate_limits": {
            "max_payments_per_hour": 10,
            "max_payments_per_day": 50,
            "max_verification_requests_per_hour": 5,
        },
        "verification_preferences": {
            "email_enabled": True,
            "sms_enabled": True,
            "totp_enabled": True,
            "code_ttl_seconds": 600,
            "max_attempts": 5,
        },
        "risk_tolerance": {"Medium": None},
    }
    value.update(over)
    return value


def transaction(customer: str, amount: int, country: str | None = None, merchant: str = "aaaaa-aa") -> dict:
    return {
        "transaction_id": "tx-1",
        "customer": customer,
        "merchant_canister": merchant,
        "amount": amount,
        "token_symbol": SYMBOL,
        "from_address": [],
        "country": [] if country is None else [country],
        "timestamp": 0,
    }
