"""Nothing the merchant gave is dropped: a session or a one-click charge with metadata at its
documented limits (50 keys, key 40 and value 500 characters) reaches the merchant's webhook
handler whole, is listed whole by the events API, and a one-click payment keeps its metadata
(`get_payment_metadata`), also when the charge was interrupted and resumed."""

from __future__ import annotations

import pytest
from merchant_client import code, ok, trap_at
from part2_helpers import add_webhook, approve_merchant, drain, limits, pre_auth_args


def metadata(value_char: str) -> list:
    """50 pairs at the limits; keys and values full of characters JSON must escape or that
    take 2-4 bytes in UTF-8."""
    return [{"key": ("k%02d" % i) + '"' * 37, "value": value_char * 500} for i in range(50)]


def as_object(pairs: list) -> dict:
    return dict((p["key"], p["value"]) for p in pairs)


def test_session_metadata_at_its_limits_reaches_the_webhook_whole(shop, receiver):
    add_webhook(shop, receiver, ["checkout.session.completed"])
    pairs = [{"key": p["key"], "value": '"é' * 250} for p in metadata("x")]  # fits a session (46 KB)
    s = shop.create_session(metadata=pairs)
    ok(shop.pay_icrc2(shop.alice, s))
    drain(shop)
    (delivered,) = receiver.events("checkout.session.completed")
    assert delivered["valid_with"]  # signed over the whole body
    assert delivered["json"]["data"]["object"]["metadata"] == as_object(pairs)
    assert len(delivered["body"]) > 20_000  # over the old 12 KB cut and the 20 KB slot
    (event,) = ok(shop.owner.merchant.list_events([], [], ["checkout.session.completed"]))["events"]
    assert '"truncated"' not in event["data_json"] and event["event_id"] == delivered["json"]["id"]
    assert ok(shop.owner.merchant.get_event(event["event_id"]))["data_json"] == event["data_json"]


def one_click_auth(shop, uses: int = 5, duration: int = 7200) -> str:
    alice = shop.alice.principal
    approve_merchant(shop, shop.alice)
    auth_id = ok(
        shop.alice.merchant.create_pre_authorization_with_options(
            pre_auth_args(alice, 1_000_000, uses=uses, duration=duration)
        )
    )
    ok(shop.alice.merchant.update_merchant_spending_limits(alice, limits(1_000_000, 5_000_000, 7200)))
    return auth_id


def test_one_click_metadata_at_its_limits_is_kept_and_delivered(shop, receiver):
    add_webhook(shop, receiver, ["one_click.charged"])
    auth_id = one_click_auth(shop)
    pairs = metadata("😀")  # 4 bytes each in UTF-8: about 100 KB of metadata
    payment_id = ok(shop.api.merchant.execute_one_click_payment(auth_id, 10_000, pairs))
    assert ok(shop.api.merchant.get_payment_metadata(payment_id)) == pairs
    drain(shop)
    (delivered,) = receiver.events("one_click.charged")
    assert delivered["valid_with"]
    assert delivered["json"]["data"]["object"]["metadata"] == as_object(pairs)
    page = ok(shop.api.merchant.list_events([], [100], []))  # a page of big events stays under the reply limit
    assert any(e["event_id"] == delivered["json"]["id"] for e in page["events"])
    few = ok(shop.api.merchant.execute_one_click_payment(auth_id, 10_000, [{"key": "order", "value": "A-2"}]))
    assert ok(shop.api.merchant.get_payment_metadata(few)) == [{"key": "order", "value": "A-2"}]
    assert code(shop.stranger.merchant.get_payment_metadata(few)) == "unauthorized"
    assert code(shop.api.merchant.get_payment_metadata("pay_" + "0" * 32)) == "not_found"


def test_large_events_are_paged_within_the_reply_limit(shop):
    count = 21  # about 2.3 MB of events: more than one reply holds
    auth_id = one_click_auth(shop, uses=count, duration=6 * 3600)
    for i in range(count):
        if i > 0 and i % 7 == 0:
            shop.advance(3601)  # the risk engine allows 10 payments per customer and hour
        ok(shop.api.merchant.execute_one_click_payment(auth_id, 1_000, metadata("😀")))
    first = ok(shop.api.merchant.list_events([], [100], ["one_click.charged"]))
    assert 0 < len(first["events"]) < count and first["next_cursor"]
    rest = ok(shop.api.merchant.list_events(first["next_cursor"], [100], ["one_click.charged"]))
    listed = [e["event_id"] for e in first["events"] + rest["events"]]
    while rest["next_cursor"]:
        rest = ok(shop.api.merchant.list_events(rest["next_cursor"], [100], ["one_click.charged"]))
        listed += [e["event_id"] for e in rest["events"]]
    assert len(listed) == len(set(listed)) == count


def test_an_interrupted_one_click_charge_keeps_its_metadata(shop):
    auth_id = one_click_auth(shop)
    pairs = [{"key": "order", "value": "A-7"}, {"key": "note", "value": "gift wrap ✓"}]
    trap = trap_at(shop, "after_call", "icrc2_transfer_from", origin="ingress")
    with pytest.raises(Exception):  # ic-py raises on the trap's reject
        shop.api.merchant.execute_one_click_payment(auth_id, 10_000, pairs)
    assert trap.fired == 1 and ok(shop.api.merchant.list_payments([], []))["payments"] == []
    shop.advance(300 + 120)  # the maintenance timer resumes the charge (the ledger answers Duplicate)
    (payment,) = ok(shop.owner.merchant.list_payments([], []))["payments"]
    assert ok(shop.api.merchant.get_payment_metadata(payment["payment_id"])) == pairs
    (charged,) = ok(shop.api.merchant.list_events([], [], ["one_click.charged"]))["events"]
    assert '"resumed":true' in charged["data_json"] and "gift wrap ✓" in charged["data_json"]
