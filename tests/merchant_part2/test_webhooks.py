"""Webhooks end to end on localnet: real HTTPS-outcall deliveries to a receiver on
127.0.0.1 whose every request must carry a valid signature, retries by timers with time
travel, secret rotation, stats, attempt logs, the events API and access rules."""

from __future__ import annotations

from part2_helpers import add_webhook, code, drain, ok, paid_session, webhook_config


def assert_all_signed(receiver) -> None:
    for request in receiver.events():
        assert request["valid_with"], f"bad signature on {request['json']['type']}"
        assert request["headers"]["idempotency-key"] == request["json"]["id"]


def test_checkout_completed_is_delivered_signed(shop, receiver):
    webhook_id = add_webhook(shop, receiver, ["checkout.session.completed", "payment.refunded"])
    session = paid_session(shop, shop.alice)
    drain(shop)
    (request,) = receiver.events()
    body = request["json"]
    assert body["type"] == "checkout.session.completed"
    assert body["data"]["object_id"] == session["session_id"]
    assert body["data"]["object"]["amount"] == session["amount"]
    assert body["data"]["object"]["payer"] == shop.alice.principal
    assert_all_signed(receiver)
    # the event is in the events API under the same id
    event = ok(shop.api.merchant.get_event(body["id"]))
    assert event["event_type"] == "checkout.session.completed" and event["deliveries"] == 1
    stats = ok(shop.owner.merchant.get_webhook_delivery_stats(webhook_id))
    assert stats["total_deliveries"] == 1 and stats["successful_deliveries"] == 1
    assert stats["pending_deliveries"] == 0 and stats["total_attempts"] == 1 and stats["last_status_code"] == [200]
    attempts = ok(shop.owner.merchant.list_webhook_attempts(webhook_id, []))
    assert len(attempts) == 1 and attempts[0]["success"] and attempts[0]["event_id"] == body["id"]


def test_unsubscribed_types_are_not_sent(shop, receiver):
    add_webhook(shop, receiver, ["payment.refunded"])
    paid_session(shop, shop.alice)
    drain(shop)
    assert receiver.events() == []
    page = ok(shop.api.merchant.list_events([], [], ["checkout.session.completed"]))
    assert len(page["events"]) == 1 and page["events"][0]["deliveries"] == 0


def test_receiver_down_then_up_gets_the_event_exactly_once_more(shop, receiver):
    webhook_id = add_webhook(shop, receiver, ["checkout.session.completed"])
    receiver.stop()
    paid_session(shop, shop.alice)
    drain(shop)
    stats = ok(shop.owner.merchant.get_webhook_delivery_stats(webhook_id))
    assert stats["failed_attempts"] == 1 and stats["pending_deliveries"] == 1 and stats["successful_deliveries"] == 0
    receiver.start()
    # the first retry is due 60 s after the failure (filed in the next minute slot)
    shop.advance(30)
    assert receiver.events() == []
    shop.advance(120)
    assert len(receiver.events()) == 1
    # nothing more arrives, however long we wait
    for _ in range(3):
        shop.advance(3600)
    assert len(receiver.events()) == 1
    assert_all_signed(receiver)
    stats = ok(shop.owner.merchant.get_webhook_delivery_stats(webhook_id))
    assert stats["successful_deliveries"] == 1 and stats["pending_deliveries"] == 0
    assert stats["total_attempts"] == 2 and stats["failed_attempts"] == 1
    attempts = ok(shop.owner.merchant.list_webhook_attempts(webhook_id, []))
    assert [a["success"] for a in attempts] == [True, False]
    assert attempts[1]["status_code"] == [] and "outcall failed" in attempts[1]["error"][0]


def test_retries_with_backoff_end_failed_after_three_days(shop, receiver):
    receiver.status = 500
    webhook_id = add_webhook(shop, receiver, ["checkout.session.completed"])
    paid_session(shop, shop.alice)
    drain(shop)
    assert len(receiver.events()) == 1
    times = []
    for _ in range(4 * 24 * 6):  # four days in 10-minute steps
        before = len(receiver.events())
        shop.advance(600)
        if len(receiver.events()) > before:
            times.append(shop.now())
    total = len(receiver.events())
    # backoff doubles from 1 min (capped at 12 h): 60,120,...,30720 s, then 12 h steps
    assert 10 <= total <= 20, total
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(g2 >= g1 for g1, g2 in zip(gaps[3:], gaps[4:]) if g1 < 12 * 3600 * 10**9)
    stats = ok(shop.owner.merchant.get_webhook_delivery_stats(webhook_id))
    assert stats["failed_deliveries"] == 1 and stats["pending_deliveries"] == 0
    assert stats["total_attempts"] == total and stats["last_status_code"] == [500]
    assert_all_signed(receiver)
    # every attempt carried the same event id as Idempotency-Key
    assert len({r["headers"]["idempotency-key"] for r in receiver.events()}) == 1


def test_secret_rotation_signs_with_both_secrets_during_overlap(shop, receiver):
    webhook_id = add_webhook(shop, receiver, ["checkout.session.completed"])
    old = receiver.secrets[0]
    new = ok(shop.owner.merchant.rotate_webhook_secret(webhook_id, [3600]))
    assert new != old and new.startswith("whsec_")
    receiver.secrets.append(new)
    paid_session(shop, shop.alice)
    drain(shop)
    (first,) = receiver.events()
    assert set(first["valid_with"]) == {old, new}
    shop.advance(3700)
    paid_session(shop, shop.bob)
    drain(shop)
    second = receiver.events()[1]
    assert second["valid_with"] == [new]
    listed = ok(shop.api.merchant.list_webhooks())[0]
    assert listed["secret"] == "whsec_..." + new[-4:]


def test_test_webhook_and_validation(shop, receiver):
    webhook_id = add_webhook(shop, receiver)
    result = ok(shop.owner.merchant.test_webhook(webhook_id))
    assert result["success"] and result["status_code"] == [200]
    (request,) = receiver.events("webhook.test")
    assert request["valid_with"] and request["json"]["id"] == result["event_id"]
    receiver.stop()
    failed = ok(shop.owner.merchant.test_webhook(webhook_id))
    assert not failed["success"] and failed["error"]
    m = shop.owner.merchant
    assert code(m.configure_webhook(webhook_config("ftp://x.example.com"))) == "invalid_argument"
    assert code(m.configure_webhook(webhook_config("http://example.com/h"))) == "invalid_argument"
    assert code(m.configure_webhook(webhook_config("https://example.com/h", ["nope"]))) == "invalid_argument"
    assert code(m.configure_webhook(webhook_config("https://example.com/h", []))) == "invalid_argument"
    assert code(m.update_webhook("wh_999", webhook_config("https://example.com/h"))) == "not_found"
    ok(m.update_webhook(webhook_id, webhook_config("https://example.com/h", ["payment.refunded"], active=False)))
    (listed,) = ok(shop.api.merchant.list_webhooks())
    assert listed["url"] == "https://example.com/h" and not listed["active"]
    ok(m.delete_webhook(webhook_id))
    assert code(m.get_webhook(webhook_id)) == "not_found"
    assert code(m.delete_webhook(webhook_id)) == "not_found"


def test_webhook_methods_need_an_owner(shop):
    for party in (shop.api, shop.alice, shop.stranger, shop.anon):
        assert code(party.merchant.configure_webhook(webhook_config("https://example.com/h"))) == "unauthorized"
        assert code(party.merchant.get_webhook("wh_1")) == "unauthorized"
        assert code(party.merchant.rotate_webhook_secret("wh_1", [])) == "unauthorized"
        assert code(party.merchant.test_webhook("wh_1")) == "unauthorized"
        assert code(party.merchant.delete_webhook("wh_1")) == "unauthorized"
    for party in (shop.alice, shop.stranger, shop.anon):
        assert code(party.merchant.list_webhooks()) == "unauthorized"
        assert code(party.merchant.list_events([], [], [])) == "unauthorized"


def test_events_are_paginated_newest_first_and_kept_30_days(shop):
    for _ in range(3):
        paid_session(shop, shop.alice)
    page = ok(shop.api.merchant.list_events([], [2], []))
    assert len(page["events"]) == 2 and page["next_cursor"]
    rest = ok(shop.api.merchant.list_events(page["next_cursor"], [2], []))
    seqs = [e["seq"] for e in page["events"] + rest["events"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
    completed = ok(shop.api.merchant.list_events([], [], ["checkout.session.completed"]))["events"]
    assert len(completed) == 3
    assert code(shop.api.merchant.list_events([], [101], [])) == "invalid_argument"
    assert code(shop.api.merchant.list_events([], [], ["bogus.type"])) == "invalid_argument"
    shop.advance(31 * 24 * 3600)
    assert ok(shop.api.merchant.list_events([], [], []))["events"] == [] or all(
        e["event_type"] not in ("checkout.session.completed",)
        for e in ok(shop.api.merchant.list_events([], [], []))["events"]
    )
    assert code(shop.api.merchant.get_event(completed[0]["event_id"])) == "not_found"
