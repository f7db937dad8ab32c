"""The three minute-slot queues (session expiry, webhook retries, the expiry_index kinds) now
share minute_slots.py and keep their maps and key layouts: entries filed by the release
before the fold (its source from git) are still taken, when due, after the upgrade."""

from __future__ import annotations

import os

import pytest
from kybra import Principal
from merchant_client import MERCHANT_ENTRY, ROOT, status
from part2_helpers import add_webhook, approve_merchant, drain, ok, paid_session, pre_auth_args
from release_export import export_release

BEFORE_THE_FOLD = "4fbc0a5"  # main when the queues were folded (three copies of the algorithm)


def install(shop, root: str) -> None:
    entry = os.path.join(root, os.path.relpath(MERCHANT_ENTRY, ROOT))
    with shop.server.lock:
        net = shop.server.network
        net.install_code(Principal.from_str(shop.merchant_id), net.build_module(entry, root), mode="upgrade")


@pytest.fixture(scope="module")
def old_root(tmp_path_factory) -> str:
    return export_release(tmp_path_factory, BEFORE_THE_FOLD)


def test_entries_filed_before_the_fold_stay_due_after_the_upgrade(shop, receiver, old_root):
    install(shop, old_root)  # the release before the fold files the entries
    receiver.status = 500
    webhook_id = add_webhook(shop, receiver, ["checkout.session.completed"])
    paid_session(shop, shop.alice)
    drain(shop)
    assert len(receiver.events()) == 1  # the first attempt failed: a retry is in a minute slot
    short = shop.create_session(expires_in_seconds=[1800])  # in a session expiry slot
    approve_merchant(shop, shop.alice)
    auth_id = ok(
        shop.alice.merchant.create_pre_authorization_with_options(
            pre_auth_args(shop.alice.principal, 10_000, duration=600)
        )
    )  # in the `auth` due queue
    install(shop, ROOT)  # the folded queues take over
    receiver.status = 200
    shop.advance(30)
    assert status(shop.session(short["session_id"])) == "open"  # nothing is taken early
    assert ok(shop.api.merchant.get_pre_authorization(auth_id))["status"] == "active"
    shop.advance(120)  # the retry (1 min backoff) is due
    assert len(receiver.events()) == 2
    stats = ok(shop.owner.merchant.get_webhook_delivery_stats(webhook_id))
    assert stats["successful_deliveries"] == 1 and stats["pending_deliveries"] == 0
    shop.advance(600)  # the pre-authorization's expiry is due
    assert ok(shop.api.merchant.get_pre_authorization(auth_id))["status"] == "expired"
    shop.advance(1200)  # the session's expiry is due
    assert status(shop.session(short["session_id"])) == "expired"
    assert ok(shop.owner.merchant.get_checkout_session_analytics())["expired_sessions"] == 1
