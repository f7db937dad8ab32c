"""Resending one event to one webhook endpoint by hand (Stripe's "Resend" in the Dashboard),
e.g. after the merchant fixed a broken endpoint: a new delivery of the stored event, signed
with the endpoint's current secret and with the same `Idempotency-Key` (the event id), so a
receiver that already processed it can tell."""

from kybra import ic, text, update

from src.common.ids import check_id
from src.user_payment_canister.access_control import require_owner
from src.user_payment_canister.merchant_events import visible
from src.user_payment_canister.merchant_types import MerchantTextResult
from src.user_payment_canister.service_store import events_map, webhooks_map
from src.user_payment_canister.webhook_delivery import (
    NOT_DELIVERED,
    PRUNE_PER_QUEUE,
    arm_soon,
    prune_deliveries,
    queue_delivery,
    subscribed,
)


@update
def resend_webhook_event(webhook_id: text, event_id: text) -> MerchantTextResult:
    """Owners: queue the event for the endpoint again; returns the new delivery's id."""
    err = (
        require_owner("resend webhook events")
        or check_id("webhook_id", webhook_id, "wh")
        or check_id("event_id", event_id, "evt")
    )
    if err is not None:
        return {"Err": err}
    webhook = webhooks_map.get(webhook_id)
    if webhook is None:
        return {"Err": "not_found: webhook " + webhook_id + " does not exist"}
    if not webhook["active"]:
        return {"Err": "failed_precondition: webhook " + webhook_id + " is disabled"}
    event = visible(events_map.get(event_id))
    if event is None:
        return {"Err": "not_found: event " + event_id + " does not exist (events are kept 30 days)"}
    if event["event_type"] in NOT_DELIVERED:
        return {"Err": "invalid_argument: " + event["event_type"] + " events are never delivered"}
    if not subscribed(webhook, event["event_type"]):
        return {"Err": "invalid_argument: webhook " + webhook_id + " is not subscribed to " + event["event_type"]}
    now = ic.time()
    delivery_id = queue_delivery(webhook_id, event_id, now)
    arm_soon()
    prune_deliveries(now, PRUNE_PER_QUEUE)
    return {"Ok": delivery_id}
