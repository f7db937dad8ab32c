"""Resending an event to an endpoint by hand (resend_webhook_event): after the endpoint was
down and its delivery failed, the owner resends the stored event; the receiver on 127.0.0.1
gets it signed with the same id; bad inputs and non-owners get clear errors."""

from __future__ import annotations

from part2_helpers import add_webhook, code, drain, ok, paid_session


def test_resend_delivers_the_event_again(shop, receiver):
    webhook_id = add_webhook(shop, receiver, ["checkout.session.completed"])
    paid_session(shop, shop.alice)
    drain(shop)
    (first,) = receiver.events()
    event_id = first["json"]["id"]
    delivery = ok(shop.owner.merchant.resend_webhook_event(webhook_id, event_id))
    assert delivery.startswith("dlv_")
    drain(shop)
    events = receiver.events()
    assert len(events) == 2 and events[1]["json"] == first["json"] and events[1]["valid_with"]
    assert events[1]["headers"]["idempotency-key"] == event_id
    stats = ok(shop.owner.merchant.get_webhook_delivery_stats(webhook_id))
    assert stats["total_deliveries"] == 2 and stats["successful_deliveries"] == 2 and stats["pending_deliveries"] == 0
    attempts = ok(shop.owner.merchant.list_webhook_attempts(webhook_id, []))
    assert [a["event_id"] for a in attempts] == [event_id, event_id]


def test_resend_errors(shop, receiver):
    webhook_id = add_webhook(shop, receiver, ["payment.refunded"])
    paid_session(shop, shop.alice)
    drain(shop)
    completed = ok(shop.api.merchant.list_events([], [], ["checkout.session.completed"]))["events"][0]["event_id"]
    resend = shop.owner.merchant.resend_webhook_event
    assert code(resend(webhook_id, completed)) == "invalid_argument"  # not subscribed to it
    assert code(resend("wh_999", completed)) == "not_found"
    assert code(resend(webhook_id, "evt_" + "0" * 24)) == "not_found"
    assert code(resend("not an id", completed)) == "invalid_argument"
    assert code(resend(webhook_id, "x" * 500)) == "invalid_argument"
    assert code(shop.api.merchant.resend_webhook_event(webhook_id, completed)) == "unauthorized"
    assert code(shop.alice.merchant.resend_webhook_event(webhook_id, completed)) == "unauthorized"
    drain(shop)
    assert receiver.events() == []
