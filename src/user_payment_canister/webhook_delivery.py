"""Delivery of events to webhooks by HTTPS outcalls (docs/webhooks.md).

Each (event, webhook) pair is a delivery. New deliveries go to a FIFO queue that a timer
drains at once; a failed attempt is re-filed into a per-minute retry slot with exponential
backoff (1 min doubling, capped at 12 h) until 3 days after the event, then marked failed.
Before each outcall the delivery is leased (its next attempt moved LEASE_SECONDS ahead and
filed), so a concurrent timer cannot send it twice and a trap cannot lose it; a queue entry
is acted on only if it still matches the delivery's `next_attempt_at`.

The body is signed: `ckpay-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
(a second `v1=` with the previous secret while a rotation overlaps), and carries
`Idempotency-Key: <event id>`. The transform query keeps only the status code, so all
replicas agree on the response."""

import hashlib
import hmac
import json

from kybra import ic, query
from kybra.canisters.management import HttpResponse, HttpTransformArgs, management_canister

from src.common.message_budget import budget_left
from src.common.outcall_cost import outcall_cycles, request_bytes
from src.user_payment_canister.counter_keys import attempts_key, retry_slot_key
from src.user_payment_canister.merchant_store import bump, clear_counter, copy_record, counter, set_counter
from src.user_payment_canister.minute_slots import MinuteSlots
from src.user_payment_canister.service_store import (
    attempts_map,
    deliveries_map,
    delivery_queue_map,
    events_map,
    webhooks_map,
)

NS = 1_000_000_000
RETRY_WINDOW_SECONDS = 3 * 24 * 60 * 60
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 12 * 60 * 60
LEASE_SECONDS = 10 * 60
BATCH = 10
MAX_MINUTE_PROBES = 2000
ATTEMPT_LOG_SIZE = 50
KEEP_SECONDS = 30 * 24 * 60 * 60
PRUNE_PER_QUEUE = 5
TRANSFORM_METHOD = "webhook_transform"
MAX_RESPONSE_BYTES = 4096
NOT_DELIVERED = ("webhook.test",)
timer_flags = {"soon": False}
STAT_COUNTERS = (
    "total_deliveries",
    "successful_deliveries",
    "failed_deliveries",
    "pending_deliveries",
    "total_attempts",
    "failed_attempts",
)


def subscribed(webhook: dict, event_type: str) -> bool:
    return webhook["active"] and ("*" in webhook["events"] or event_type in webhook["events"])


def change_stats(webhook_id: str, changes: dict) -> None:
    """Add to the counters (STAT_COUNTERS) and set the other fields of a webhook's stats."""
    webhook = webhooks_map.get(webhook_id)
    if webhook is None:
        return
    stats = copy_record(webhook["delivery_stats"])
    for name in changes:
        value = changes[name]
        if name in STAT_COUNTERS:
            stats[name] = max(0, stats[name] + value)
        else:
            stats[name] = value
    updated = copy_record(webhook)
    updated["delivery_stats"] = stats
    webhooks_map.insert(webhook_id, updated)


def file_now(delivery_id: str, due: int) -> None:
    tail = bump("dlvq_tail")
    delivery_queue_map.insert("now:" + str(tail), delivery_id + "|" + str(due))


def retry_entry_key(minute: int, n: int) -> str:
    return "m" + str(minute).zfill(14) + ":" + str(n)


# Retries share delivery_queue_map with the `now:<n>` FIFO of new deliveries.
retry_slots = MinuteSlots(delivery_queue_map, retry_entry_key, retry_slot_key, "dlvs_cursor", "dlvs_pos")


def file_at(delivery_id: str, due: int) -> None:
    """File into the first minute slot that starts after `due`."""
    retry_slots.file(due, delivery_id + "|" + str(due), ic.time())


def arm_soon() -> None:
    """One zero-delay timer drains the queue; the periodic tick is the safety net."""
    if not timer_flags["soon"]:
        timer_flags["soon"] = True
        ic.set_timer(0, deliver_tick)


def queue_delivery(webhook_id: str, event_id: str, now: int) -> str:
    """One new delivery of an event to a webhook, filed to go out at once."""
    delivery_id = "dlv_" + str(bump("dlv_seq"))
    deliveries_map.insert(
        delivery_id,
        {
            "delivery_id": delivery_id,
            "webhook_id": webhook_id,
            "event_id": event_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "completed_at": None,
            "last_status_code": None,
            "last_error": None,
        },
    )
    file_now(delivery_id, now)
    change_stats(webhook_id, {"total_deliveries": 1, "pending_deliveries": 1})
    return delivery_id


def queue_event_deliveries(event: dict) -> int:
    """Create a delivery for every active webhook subscribed to the event's type."""
    if event["event_type"] in NOT_DELIVERED:
        return 0
    now = ic.time()
    queued = 0
    for webhook in webhooks_map.values():
        if not subscribed(webhook, event["event_type"]):
            continue
        queue_delivery(webhook["webhook_id"], event["event_id"], now)
        queued += 1
    if queued > 0:
        arm_soon()
    prune_deliveries(now, PRUNE_PER_QUEUE)
    return queued


def prune_deliveries(now: int, budget: int) -> None:
    """Forget finished deliveries older than KEEP_SECONDS, oldest first (ids are
    `dlv_<seq>`), at most `budget` per call, so the map does not grow without end."""
    cursor = counter("dlv_prune_seq") + 1
    top = counter("dlv_seq")
    while cursor <= top and budget > 0 and budget_left():
        delivery_id = "dlv_" + str(cursor)
        delivery = deliveries_map.get(delivery_id)
        if delivery is not None:
            if delivery["status"] == "pending" or now - delivery["created_at"] < KEEP_SECONDS * NS:
                return
            deliveries_map.remove(delivery_id)
        set_counter("dlv_prune_seq", cursor)
        cursor += 1
        budget -= 1


def lease(value: "str | None", now: int, items: list) -> bool:
    """Take a queue entry if it still names a pending delivery that is due."""
    if value is None:
        return False
    parts = value.split("|")
    delivery = deliveries_map.get(parts[0])
    if delivery is None or delivery["status"] != "pending" or str(delivery["next_attempt_at"]) != parts[1]:
        return False
    if delivery["next_attempt_at"] > now:
        file_at(parts[0], delivery["next_attempt_at"])
        return False
    updated = copy_record(delivery)
    updated["next_attempt_at"] = now + LEASE_SECONDS * NS
    deliveries_map.insert(parts[0], updated)
    file_at(parts[0], updated["next_attempt_at"])
    items.append(parts[0])
    return True


def take_due(now: int, budget: int) -> list:
    """Lease up to `budget` due deliveries: new ones first, then passed retry slots."""
    items = []
    head = counter("dlvq_head")
    tail = counter("dlvq_tail")
    while head < tail and len(items) < budget and budget_left():
        head += 1
        lease(delivery_queue_map.remove("now:" + str(head)), now, items)
    set_counter("dlvq_head", head)
    if len(items) >= budget or not budget_left():
        return items

    def take(value: str) -> bool:
        return lease(value, now, items)

    retry_slots.take(now, budget - len(items), MAX_MINUTE_PROBES, take)
    return items


def event_body(event: dict) -> str:
    """The JSON body of a delivery (Stripe-like event object)."""
    return json.dumps(
        {
            "id": event["event_id"],
            "object": "event",
            "type": event["event_type"],
            "created": event["created_at"] // NS,
            "data": {"object_id": event["object_id"], "object": json.loads(event["data_json"])},
        },
        separators=(",", ":"),
        sort_keys=True,
        ensure_ascii=False,
    )


def sign(secret: str, timestamp: int, body: str) -> str:
    return hmac.new(secret.encode(), (str(timestamp) + "." + body).encode(), hashlib.sha256).hexdigest()


def signature_header(webhook: dict, timestamp: int, body: str) -> str:
    """`t=<unix>,v1=<sig>` plus `,v1=<sig with the previous secret>` during a rotation."""
    header = "t=" + str(timestamp) + ",v1=" + sign(webhook["secret"], timestamp, body)
    previous = webhook["previous_secret"]
    expires = webhook["previous_secret_expires_at"]
    if previous is not None and expires is not None and ic.time() < expires:
        header = header + ",v1=" + sign(previous, timestamp, body)
    return header


def send(webhook: dict, event: dict):
    """One signed POST; returns (status code or None, error text or None, elapsed ns)."""
    body = event_body(event)
    payload = body.encode()
    timestamp = ic.time() // NS
    started = ic.time()
    headers = [
        {"name": "Content-Type", "value": "application/json"},
        {"name": "User-Agent", "value": "ckPayment-Webhooks/1"},
        {"name": "ckpay-signature", "value": signature_header(webhook, timestamp, body)},
        {"name": "Idempotency-Key", "value": event["event_id"]},
        {"name": "ckpay-event-type", "value": event["event_type"]},
    ]
    size = request_bytes(webhook["url"], headers, payload, TRANSFORM_METHOD, bytes())
    result = yield management_canister.http_request(
        {
            "url": webhook["url"],
            "max_response_bytes": MAX_RESPONSE_BYTES,
            "method": {"post": None},
            "headers": headers,
            "body": payload,
            "transform": {"function": (ic.id(), TRANSFORM_METHOD), "context": bytes()},
        }
    ).with_cycles(outcall_cycles(size, MAX_RESPONSE_BYTES))
    elapsed = ic.time() - started
    err = getattr(result, "Err", None)
    if err is not None:
        return (None, "outcall failed: " + str(err)[:300], elapsed)
    status = result.Ok["status"]
    if 200 <= status < 300:
        return (status, None, elapsed)
    return (status, "receiver answered HTTP " + str(status), elapsed)


def log_attempt(webhook_id: str, attempt: dict) -> None:
    """Keep the last ATTEMPT_LOG_SIZE attempts per webhook (a ring buffer)."""
    n = bump(attempts_key(webhook_id))
    attempts_map.insert(webhook_id + "|" + str(n % ATTEMPT_LOG_SIZE), attempt)


def recent_attempts(webhook_id: str, limit: int) -> list:
    n = counter(attempts_key(webhook_id))
    items = []
    while n >= 1 and len(items) < limit and len(items) < ATTEMPT_LOG_SIZE:
        attempt = attempts_map.get(webhook_id + "|" + str(n % ATTEMPT_LOG_SIZE))
        if attempt is not None:
            items.append(attempt)
        n -= 1
    return items


def forget_attempts(webhook_id: str) -> None:
    for slot in range(ATTEMPT_LOG_SIZE):
        attempts_map.remove(webhook_id + "|" + str(slot))
    clear_counter(attempts_key(webhook_id))


def retry_delay(attempts: int) -> int:
    delay = FIRST_RETRY_SECONDS
    n = 1
    while n < attempts and delay < MAX_RETRY_SECONDS:
        delay = delay * 2
        n += 1
    return min(delay, MAX_RETRY_SECONDS)


def finish(delivery: dict, status: str, now: int) -> None:
    updated = copy_record(delivery)
    updated["status"] = status
    updated["completed_at"] = now
    deliveries_map.insert(delivery["delivery_id"], updated)
    field = "successful_deliveries" if status == "succeeded" else "failed_deliveries"
    changes = {"pending_deliveries": -1}
    changes[field] = 1
    change_stats(delivery["webhook_id"], changes)


def attempt_delivery(delivery_id: str):
    """One attempt of a leased delivery, then success, a scheduled retry or failure."""
    delivery = deliveries_map.get(delivery_id)
    if delivery is None or delivery["status"] != "pending":
        return
    webhook = webhooks_map.get(delivery["webhook_id"])
    event = events_map.get(delivery["event_id"])
    if webhook is None or event is None or not webhook["active"]:
        failed = copy_record(delivery)
        failed["last_error"] = "webhook deleted or disabled, or event expired"
        finish(failed, "failed", ic.time())
        return
    status, error, elapsed = yield send(webhook, event)
    now = ic.time()
    delivery = deliveries_map.get(delivery_id)
    attempts = delivery["attempts"] + 1
    log_attempt(
        webhook["webhook_id"],
        {
            "delivery_id": delivery_id,
            "event_id": event["event_id"],
            "attempt": attempts,
            "attempted_at": now,
            "status_code": status,
            "error": error,
            "success": error is None,
        },
    )
    stats = {"total_attempts": 1, "last_attempt_at": now, "last_status_code": status}
    if error is None:
        stats["last_success_at"] = now
    else:
        stats["failed_attempts"] = 1
    change_stats(webhook["webhook_id"], stats)
    updated = copy_record(delivery)
    updated["attempts"] = attempts
    updated["last_status_code"] = status
    updated["last_error"] = error
    if error is None:
        finish(updated, "succeeded", now)
        return
    due = now + retry_delay(attempts) * NS
    if due > delivery["created_at"] + RETRY_WINDOW_SECONDS * NS:
        finish(updated, "failed", now)
        return
    updated["next_attempt_at"] = due
    deliveries_map.insert(delivery_id, updated)
    file_at(delivery_id, due)


def deliver_tick():
    """Timer callback: attempt up to BATCH due deliveries, one outcall after another."""
    timer_flags["soon"] = False
    work = take_due(ic.time(), BATCH)
    for delivery_id in work:
        yield attempt_delivery(delivery_id)
    if len(work) >= BATCH:
        arm_soon()


@query
def webhook_transform(args: HttpTransformArgs) -> HttpResponse:
    """Keep only the status code so every replica sees the same response."""
    return {"status": args["response"]["status"], "headers": [], "body": bytes()}
