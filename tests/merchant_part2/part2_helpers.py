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
            "total_deliveries": 0, "successful_deliveries": 0, "failed_deliveries": 0,
            "pending_deliveries": 0, "total_attempts": 0, "failed_attempts": 0,
            "last_attempt_at": [], "last_success_at": [], "last_status_code": [],
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
