"""Webhook event ids are unique forever: receivers deduplicate on `Idempotency-Key` (the event
id), so a reinstalled merchant canister (whose event sequence starts again at 1) and a fresh
network must never repeat an id, while an upgrade keeps the sequence and the salt."""

from __future__ import annotations

from kybra import Principal
from merchant_client import MERCHANT_ENTRY, ROOT, SYMBOL, merchant_init_arg
from part2_helpers import add_webhook, drain, ok, paid_session

from localnet.kybra_source.bundle import SourceBundle
from localnet.runtime import module as wasm_module
from localnet.runtime.typed import init_arg_from_text


def reinstall(shop, mode: str) -> None:
    with shop.server.lock:
        net = shop.server.network
        module = net.build_module(MERCHANT_ENTRY, ROOT)
        arg = b"DIDL\x00\x00"
        if mode == "reinstall":
            bundle = SourceBundle.from_bytes(wasm_module.unpack(module)[0])
            arg = init_arg_from_text(bundle, merchant_init_arg(shop.owner.principal, shop.ledger_id))
        net.install_code(Principal.from_str(shop.merchant_id), module, arg, mode=mode)
    shop.advance(0)  # post-install timers (token verification, the event salt)
    if mode == "reinstall":
        assert ok(shop.owner.merchant.refresh_token(SYMBOL))["verified"]
        ok(shop.owner.merchant.authorize_server_principal(shop.api.principal, "backend"))


def paid_and_delivered(shop, receiver) -> tuple:
    """(event id, Idempotency-Key received) of one paid session's completion event."""
    paid_session(shop, shop.alice)
    drain(shop)
    (event,) = ok(shop.owner.merchant.list_events([], [1], ["checkout.session.completed"]))["events"]
    delivered = receiver.events("checkout.session.completed")[-1]
    assert delivered["json"]["id"] == event["event_id"]
    return event["event_id"], delivered["headers"]["idempotency-key"]


def all_event_ids(shop) -> list:
    return [e["event_id"] for e in ok(shop.owner.merchant.list_events([], [100], []))["events"]]


def test_reinstalled_canister_never_repeats_an_event_id(shop, receiver):
    add_webhook(shop, receiver, ["checkout.session.completed"])
    first_id, first_key = paid_and_delivered(shop, receiver)
    assert first_key == first_id
    before = all_event_ids(shop)
    reinstall(shop, "reinstall")
    assert all_event_ids(shop) == []  # a reinstall starts from empty state (sequence at 1)
    add_webhook(shop, receiver, ["checkout.session.completed"])
    second_id, second_key = paid_and_delivered(shop, receiver)
    assert second_key == second_id and second_id != first_id
    assert not set(all_event_ids(shop)) & set(before)


def test_an_upgrade_keeps_the_sequence_and_its_ids_stay_distinct(shop, receiver):
    add_webhook(shop, receiver, ["checkout.session.completed"])
    first_id, _ = paid_and_delivered(shop, receiver)
    before = all_event_ids(shop)
    reinstall(shop, "upgrade")
    assert all_event_ids(shop) == before  # the events and their ids are kept
    second_id, _ = paid_and_delivered(shop, receiver)
    after = all_event_ids(shop)
    assert second_id != first_id and len(set(after)) == len(after) == len(before) + 1


def test_two_fresh_canisters_do_not_share_event_ids(shop, server, new_identity, deploy, actor, receiver):
    """A fresh network deploys the merchant with the same canister id and sequence: the
    install's random salt keeps their ids apart."""
    from ic.identity import Identity
    from merchant_client import build_shop

    add_webhook(shop, receiver, ["checkout.session.completed"])
    first_id, _ = paid_and_delivered(shop, receiver)
    from localnet.http.testing import LocalnetServer

    with LocalnetServer() as other_server:
        other = build_shop(other_server, new_identity, deploy, actor, Identity(anonymous=True))
        assert other.merchant_id == shop.merchant_id  # same id, same first sequence number
        add_webhook(other, receiver, ["checkout.session.completed"])
        second_id, _ = paid_and_delivered(other, receiver)
    assert second_id != first_id
