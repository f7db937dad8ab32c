"""Webhook endpoints of the merchant (seed feature 6): configure, list, update, delete,
test, delivery stats, recent attempts and secret rotation (owners; staff may read).

Signing secrets come from `raw_rand` (`whsec_<64 hex>`), never from the caller. Rotation
keeps the previous secret valid for an overlap window: deliveries carry two `v1=`
signatures until it ends (docs/webhooks.md)."""

from kybra import Async, Opt, ic, nat32, nat64, query, text, update
from kybra.canisters.management import management_canister

from src.common.validation import check_url
from src.user_payment_canister.access_control import require_owner, require_staff
from src.user_payment_canister.merchant_events import EVENT_TYPES, emit_event
from src.user_payment_canister.merchant_store import bump, copy_record
from src.user_payment_canister.merchant_types import MerchantTextResult, MerchantUnitResult
from src.user_payment_canister.service_store import events_map, webhooks_map
from src.user_payment_canister.service_types import (
    WebhookAttemptListResult,
    WebhookConfig,
    WebhookConfigResult,
    WebhookDeliveryStatsResult,
    WebhookListResult,
    WebhookTestResultResult,
)
from src.user_payment_canister.webhook_delivery import change_stats, forget_attempts, recent_attempts, send

NS = 1_000_000_000
MAX_WEBHOOKS = 10
MAX_EVENT_TYPES = 20
MAX_OVERLAP_SECONDS = 7 * 24 * 60 * 60
DEFAULT_OVERLAP_SECONDS = 24 * 60 * 60


def empty_stats() -> dict:
    return {
        "total_deliveries": 0,
        "successful_deliveries": 0,
        "failed_deliveries": 0,
        "pending_deliveries": 0,
        "total_attempts": 0,
        "failed_attempts": 0,
        "last_attempt_at": None,
        "last_success_at": None,
        "last_status_code": None,
    }


def check_config(config: dict) -> "str | None":
    err = check_url("url", config["url"])
    if err is not None:
        return err
    events = config["events"]
    if len(events) == 0 or len(events) > MAX_EVENT_TYPES:
        return "invalid_argument: events must list 1 to " + str(MAX_EVENT_TYPES) + ' event types (or "*")'
    seen = set()
    for name in events:
        if name != "*" and name not in EVENT_TYPES:
            return "invalid_argument: unknown event type '" + name[:60] + "'; known: " + ", ".join(EVENT_TYPES)
        if name in seen:
            return "invalid_argument: events lists '" + name + "' twice"
        seen.add(name)
    return None


def masked(webhook: dict) -> dict:
    """A webhook as listed: secrets shown only by their last 4 characters."""
    shown = copy_record(webhook)
    shown["secret"] = "whsec_..." + webhook["secret"][-4:]
    if webhook["previous_secret"] is not None:
        shown["previous_secret"] = "whsec_..." + webhook["previous_secret"][-4:]
    return shown


def load_webhook(webhook_id: str) -> "tuple":
    if len(webhook_id) > 80:
        return (None, "invalid_argument: webhook_id is too long")
    webhook = webhooks_map.get(webhook_id)
    if webhook is None:
        return (None, "not_found: webhook " + webhook_id + " does not exist")
    return (webhook, None)


def new_secret():
    """(secret, None) from raw_rand, or (None, error)."""
    rand = yield management_canister.raw_rand()
    if getattr(rand, "Err", None) is not None:
        return (None, "unavailable: randomness unavailable, retry: " + str(rand.Err))
    return ("whsec_" + rand.Ok.hex(), None)


@update
def configure_webhook(config: WebhookConfig) -> Async[MerchantTextResult]:
    """Create a webhook; the given webhook_id, secret and stats are ignored (the canister
    assigns them). The new secret is read with get_webhook."""
    err = require_owner("configure webhooks") or check_config(config)
    if err is not None:
        return {"Err": err}
    if webhooks_map.len() >= MAX_WEBHOOKS:
        return {"Err": "limit_exceeded: at most " + str(MAX_WEBHOOKS) + " webhooks"}
    secret, err = yield new_secret()
    if err is not None:
        return {"Err": err}
    if webhooks_map.len() >= MAX_WEBHOOKS:
        return {"Err": "limit_exceeded: at most " + str(MAX_WEBHOOKS) + " webhooks"}
    webhook_id = "wh_" + str(bump("webhook_seq"))
    now = ic.time()
    webhooks_map.insert(
        webhook_id,
        {
            "webhook_id": webhook_id,
            "url": config["url"],
            "events": config["events"],
            "secret": secret,
            "active": config["active"],
            "delivery_stats": empty_stats(),
            "previous_secret": None,
            "previous_secret_expires_at": None,
            "created_at": now,
            "updated_at": now,
        },
    )
    return {"Ok": webhook_id}


@update
def update_webhook(webhook_id: text, config: WebhookConfig) -> MerchantUnitResult:
    """Change url, events and active; the secret changes only by rotation."""
    err = require_owner("update webhooks") or check_config(config)
    if err is not None:
        return {"Err": err}
    webhook, err = load_webhook(webhook_id)
    if err is not None:
        return {"Err": err}
    updated = copy_record(webhook)
    updated["url"] = config["url"]
    updated["events"] = config["events"]
    updated["active"] = config["active"]
    updated["updated_at"] = ic.time()
    webhooks_map.insert(webhook_id, updated)
    return {"Ok": None}


@update
def delete_webhook(webhook_id: text) -> MerchantUnitResult:
    """Pending deliveries to a deleted webhook end as failed at their next attempt."""
    err = require_owner("delete webhooks")
    if err is not None:
        return {"Err": err}
    webhook, err = load_webhook(webhook_id)
    if err is not None:
        return {"Err": err}
    webhooks_map.remove(webhook_id)
    forget_attempts(webhook_id)
    return {"Ok": None}


@query
def list_webhooks() -> WebhookListResult:
    err = require_staff("list webhooks")
    if err is not None:
        return {"Err": err}
    return {"Ok": [masked(w) for w in webhooks_map.values()]}


@query
def get_webhook(webhook_id: text) -> WebhookConfigResult:
    """The full webhook including its signing secret(s): owners only."""
    err = require_owner("read webhook secrets")
    if err is not None:
        return {"Err": err}
    webhook, err = load_webhook(webhook_id)
    if err is not None:
        return {"Err": err}
    return {"Ok": webhook}


@update
def rotate_webhook_secret(webhook_id: text, overlap_seconds: Opt[nat64]) -> Async[MerchantTextResult]:
    """A new secret; the current one stays valid for `overlap_seconds` (default 24 h,
    0 ends it at once). Returns the new secret."""
    err = require_owner("rotate webhook secrets")
    if err is not None:
        return {"Err": err}
    overlap = DEFAULT_OVERLAP_SECONDS if overlap_seconds is None else overlap_seconds
    if overlap > MAX_OVERLAP_SECONDS:
        return {"Err": "invalid_argument: overlap_seconds must be at most " + str(MAX_OVERLAP_SECONDS)}
    webhook, err = load_webhook(webhook_id)
    if err is not None:
        return {"Err": err}
    secret, err = yield new_secret()
    if err is not None:
        return {"Err": err}
    webhook, err = load_webhook(webhook_id)
    if err is not None:
        return {"Err": err}
    now = ic.time()
    updated = copy_record(webhook)
    updated["previous_secret"] = webhook["secret"] if overlap > 0 else None
    updated["previous_secret_expires_at"] = now + overlap * NS if overlap > 0 else None
    updated["secret"] = secret
    updated["updated_at"] = now
    webhooks_map.insert(webhook_id, updated)
    return {"Ok": secret}


@update
def test_webhook(webhook_id: text) -> Async[WebhookTestResultResult]:
    """Send a signed `webhook.test` event now (one attempt, no retries)."""
    err = require_owner("test webhooks")
    if err is not None:
        return {"Err": err}
    webhook, err = load_webhook(webhook_id)
    if err is not None:
        return {"Err": err}
    event_id = emit_event("webhook.test", webhook_id, '{"webhook_id":"' + webhook_id + '"}')
    status, error, elapsed = yield send(webhook, events_map.get(event_id))
    stats = {"total_attempts": 1, "last_attempt_at": ic.time(), "last_status_code": status}
    if error is None:
        stats["last_success_at"] = ic.time()
    else:
        stats["failed_attempts"] = 1
    change_stats(webhook_id, stats)
    return {
        "Ok": {
            "webhook_id": webhook_id,
            "event_id": event_id,
            "success": error is None,
            "status_code": status,
            "error": error,
            "response_time_ns": elapsed,
        }
    }


@query
def get_webhook_delivery_stats(webhook_id: text) -> WebhookDeliveryStatsResult:
    err = require_staff("read webhook stats")
    if err is not None:
        return {"Err": err}
    webhook, err = load_webhook(webhook_id)
    if err is not None:
        return {"Err": err}
    return {"Ok": webhook["delivery_stats"]}


@query
def list_webhook_attempts(webhook_id: text, limit: Opt[nat32]) -> WebhookAttemptListResult:
    """The most recent delivery attempts (newest first, at most 50 kept)."""
    err = require_staff("read webhook attempts")
    if err is not None:
        return {"Err": err}
    webhook, err = load_webhook(webhook_id)
    if err is not None:
        return {"Err": err}
    size = 20 if limit is None or limit == 0 else limit
    if size > 50:
        return {"Err": "invalid_argument: limit must be at most 50"}
    return {"Ok": recent_attempts(webhook_id, size)}
