"""The events API: every notable thing the merchant canister does is recorded as an event
(`checkout.session.completed`, `payment.refunded`, `one_click.charged`, `security.alert`,
`report.ready`, ...), kept 30 days, listed newest first, and queued for delivery to every
webhook subscribed to its type (docs/webhooks.md).

Hook for checkout (localnet/ARCHITECTURE.md "Merchant canister hooks"):
`emit_event(event_type, object_id, data_json) -> event id`, O(webhooks) with at most
MAX_WEBHOOKS webhooks, never a scan of events."""

import hashlib
import json

from kybra import Async, Opt, ic, nat32, query, text, void
from kybra.canisters.management import management_canister

from src.common.pagination import page_desc
from src.user_payment_canister.access_control import require_staff
from src.user_payment_canister.counter_keys import event_type_seq_key
from src.user_payment_canister.merchant_store import bump, copy_record, counter, merchant_state, prune_sequence
from src.user_payment_canister.service_store import (
    event_bytes,
    event_index_map,
    event_salt_map,
    event_type_index_map,
    events_map,
)
from src.user_payment_canister.service_types import MerchantEventPageResult, MerchantEventResult
from src.user_payment_canister.webhook_delivery import queue_event_deliveries

NS = 1_000_000_000
RETENTION_SECONDS = 30 * 24 * 60 * 60
PRUNE_PER_EMIT = 5
# bytes of an event's JSON object: the largest one, 50 metadata pairs at their limits (40 +
# 500 characters, each at most 4 bytes in UTF-8 JSON), plus its other fields, fits; the
# events_map slots are sized for it (service_store.EVENT_XL_LIMIT)
MAX_DATA_JSON = 120_000
EVENT_TYPES = (
    "checkout.session.completed",
    "checkout.session.expired",
    "payment.refunded",
    "refund.failed",
    "payout.failed",
    "payment.failed",
    "one_click.charged",
    "one_click.authorization.created",
    "one_click.authorization.revoked",
    "verification.requested",
    "verification.succeeded",
    "verification.locked",
    "security.alert",
    "security.system_alert",
    "report.ready",
    "webhook.test",
)


SALT_RETRY_SECONDS = 60


def event_id_for(seq: int) -> str:
    """Unique forever (receivers deduplicate on it as `Idempotency-Key`): the sequence number
    is unique within one install, and the install's time and random salt differ on every
    install, reinstall and fresh network. Events emitted before the salt arrives (the first
    moments after install) are told apart by the install time. Event ids grant no access."""
    salt = event_salt_map.get(0)
    mix = ic.id().to_str() + ":" + str(merchant_state()["installed_at"]) + ":" + ("" if salt is None else salt.hex())
    return "evt_" + hashlib.sha256((mix + ":event:" + str(seq)).encode()).hexdigest()[:24]


def arm_event_salt() -> None:
    """From init and post_upgrade: draw the install's salt unless it has one (a canister
    upgraded from a release without it gets one; an upgrade keeps it)."""
    if event_salt_map.get(0) is None:
        ic.set_timer(0, draw_event_salt)


def draw_event_salt() -> Async[void]:
    rand = yield management_canister.raw_rand()
    if getattr(rand, "Err", None) is not None:
        ic.set_timer(SALT_RETRY_SECONDS, draw_event_salt)
        return
    if event_salt_map.get(0) is None:
        event_salt_map.insert(0, rand.Ok)


def prune_old_events(now: int, budget: int) -> int:
    """Drop events older than 30 days, oldest first, at most `budget` per call."""

    def drop(event_id: str) -> bool:
        event = events_map.get(event_id)
        if event is None:
            return True
        if now - event["created_at"] < RETENTION_SECONDS * NS:
            return False
        events_map.remove(event_id)
        event_type_index_map.remove(event["event_type"] + "|" + str(event["type_seq"]))
        return True

    return prune_sequence(event_index_map, "evt_seq", "evt_prune_seq", budget, drop)


def emit_event(event_type: str, object_id: str, data_json: str) -> str:
    """Record an event and queue its webhook deliveries; returns the event id.
    `data_json` must be a JSON object; a malformed one is recorded as `{"raw": text}`
    rather than lost (callers are canister code, not users). The object is kept whole:
    callers' inputs are bounded so it fits MAX_DATA_JSON (UTF-8 JSON, no \\u escapes)."""
    try:
        parsed = json.loads(data_json)
        if not isinstance(parsed, dict):
            parsed = {"value": parsed}
    except ValueError:
        parsed = {"raw": data_json[:1000]}
    data = compact_json(parsed)
    if len(data.encode()) > MAX_DATA_JSON:  # a caller broke the bound: say so, never trap
        ic.print("event " + event_type + " for " + object_id[:100] + " is over " + str(MAX_DATA_JSON) + " bytes")
        data = compact_json({"oversized": True, "object_id": object_id[:100], "bytes": len(data.encode())})
    now = ic.time()
    seq = bump("evt_seq")
    type_seq = bump(event_type_seq_key(event_type))
    event_id = event_id_for(seq)
    event = {
        "event_id": event_id,
        "event_type": event_type,
        "object_id": object_id[:200],
        "data_json": data,
        "created_at": now,
        "seq": seq,
        "type_seq": type_seq,
        "deliveries": 0,
    }
    event["deliveries"] = queue_event_deliveries(event)
    events_map.insert(event_id, event)
    event_index_map.insert(seq, event_id)
    event_type_index_map.insert(event_type + "|" + str(type_seq), event_id)
    prune_old_events(now, PRUNE_PER_EMIT)
    return event_id


def compact_json(value) -> str:
    """UTF-8 JSON without spaces or \\u escapes: at most 4 bytes per character of text."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def emit(event_type: str, object_id: str, data: dict) -> str:
    """emit_event with a dict payload."""
    return emit_event(event_type, object_id, compact_json(data))


def visible(event: "dict | None") -> "dict | None":
    """Events past the 30-day window are gone even before the pruner reaches them."""
    if event is None or ic.time() - event["created_at"] >= RETENTION_SECONDS * NS:
        return None
    return event


@query
def list_events(cursor: Opt[text], limit: Opt[nat32], event_type: Opt[text]) -> MerchantEventPageResult:
    err = require_staff("list events")
    if err is not None:
        return {"Err": err}
    if event_type is None:

        def lookup(seq: int) -> "dict | None":
            event_id = event_index_map.get(seq)
            return None if event_id is None else visible(events_map.get(event_id))

        items, next_cursor, err = page_desc(lookup, counter("evt_seq"), cursor, limit, event_bytes)
    else:
        if event_type not in EVENT_TYPES:
            return {"Err": "invalid_argument: event_type must be one of " + ", ".join(EVENT_TYPES)}

        def lookup_typed(seq: int) -> "dict | None":
            event_id = event_type_index_map.get(event_type + "|" + str(seq))
            return None if event_id is None else visible(events_map.get(event_id))

        items, next_cursor, err = page_desc(
            lookup_typed, counter(event_type_seq_key(event_type)), cursor, limit, event_bytes
        )
    if err is not None:
        return {"Err": err}
    return {"Ok": {"events": items, "next_cursor": next_cursor}}


@query
def get_event(event_id: text) -> MerchantEventResult:
    err = require_staff("read events")
    if err is not None:
        return {"Err": err}
    if len(event_id) > 80:
        return {"Err": "invalid_argument: event_id is too long"}
    event = visible(events_map.get(event_id))
    if event is None:
        return {"Err": "not_found: event " + event_id + " does not exist (events are kept 30 days)"}
    return {"Ok": copy_record(event)}
