"""Session and event storage in size tiers (src/common/tiered_map.py): the common small
record takes a small stable-map slot, a big one the large slot, the size estimate never
underestimates (a value over a map's max_value_size traps), and a session too big for any
slot is refused with an Err instead of a trap."""

from __future__ import annotations

import random

from kybra import Principal
from merchant_client import MERCHANT_DID, PRICE, distinct, modal_config, ok, session_args

from localnet.candid import binary
from src.user_payment_canister import merchant_store, service_store

SESSIONS_SMALL, SESSIONS_LARGE = 26, 5
SESSION_LINE_ITEMS = 30
RATE_WINDOWS, RATE_WINDOW_INDEX = 22, 27
EVENTS_SMALL, EVENTS_LARGE = 64, 40
DELIVERIES_LARGE = 44
PROFILES_LARGE, AUTHS_LARGE = 55, 56
EVENTS_XL, PAYMENT_METADATA_LARGE = 78, 77


def stored_in(shop, memory_id: int, key: str) -> "int | None":
    """Encoded size of the entry under `key` in the merchant's map `memory_id`, or None."""
    with shop.server.lock:
        c = shop.server.network.canisters[Principal.from_str(shop.merchant_id).bytes]
        m = c.stable.maps.get(memory_id)
        if m is None:
            return None
        enc = m.entries.get(binary.encode([m.key_type], [key], m.env))
        return None if enc is None else len(enc)


def entries(shop, memory_id: int) -> int:
    with shop.server.lock:
        c = shop.server.network.canisters[Principal.from_str(shop.merchant_id).bytes]
        m = c.stable.maps.get(memory_id)
        return 0 if m is None else len(m.entries)


def test_rate_windows_of_one_time_callers_are_pruned(shop, new_identity, actor):
    """Anyone can make new principals: each opens a rate-limit window, and ended windows
    are dropped by later calls, so the windows do not pile up."""
    modal_id = ok(shop.owner.merchant.create_modal_config(modal_config()))
    callers = [distinct(actor(shop.server, shop.merchant_id, new_identity(), MERCHANT_DID)) for _ in range(12)]
    for c in callers:
        assert ok(c.track_modal_view(modal_id)) is None
    assert entries(shop, RATE_WINDOWS) == 12 and entries(shop, RATE_WINDOW_INDEX) == 12
    assert ok(callers[0].track_modal_view(modal_id)) is None  # same window: nothing ended yet
    assert entries(shop, RATE_WINDOWS) == 12
    shop.advance(61)
    # the last caller comes back first: its call drops 4 ended windows and reopens its own
    assert ok(callers[11].track_modal_view(modal_id)) is None
    assert entries(shop, RATE_WINDOWS) == 12 - 4
    for _ in range(2):
        ok(shop.alice.merchant.track_modal_view(modal_id))
    # all 12 first windows are gone but the reopened one, which the pruner recognised
    assert entries(shop, RATE_WINDOWS) == 2 and entries(shop, RATE_WINDOW_INDEX) == 2
    assert ok(callers[11].track_modal_view(modal_id)) is None
    assert ok(callers[11].track_modal_view(modal_id)) is None
    assert code_of(callers[11].track_modal_view(modal_id)) == "rate_limited"


def code_of(res):
    value = res[0] if isinstance(res, list) else res
    return None if "Ok" in value else value["Err"].split(":")[0]


def test_common_session_takes_the_small_slot(shop):
    s = shop.create_session()
    size = stored_in(shop, SESSIONS_SMALL, s["session_id"])
    assert size is not None and size < 1_000
    assert stored_in(shop, SESSIONS_LARGE, s["session_id"]) is None
    again = ok(shop.owner.merchant.get_checkout_session(s["session_id"]))
    assert (again["session_id"], again["metadata"], again["amount"]) == (s["session_id"], s["metadata"], s["amount"])


def test_line_items_are_stored_apart_from_the_session(shop):
    """Maps 26 / 5 keep their frozen value type: line items live in map 30 and the url is
    derived when read, so a session with 20 items of 100 four-byte characters (the most
    line_items.py allows) still takes the small slot, and one without items leaves map 30 empty."""
    wide = "\U0001f600"
    items = [{"name": wide * 100, "quantity": 1, "unit_amount": PRICE // 20}] * 20
    s = shop.create_session(line_items=[items])
    assert s["line_items"] == [items] and s["url"] == ["https://checkout.ckpayment.io/pay/" + s["session_id"]]
    assert stored_in(shop, SESSIONS_SMALL, s["session_id"]) < 1_000
    assert 8_000 < stored_in(shop, SESSION_LINE_ITEMS, s["session_id"]) <= 9_000
    again = shop.session(s["session_id"])
    assert again["line_items"] == [items] and again["url"] == s["url"]
    assert "Ok" in shop.pay_icrc2(shop.alice, s)  # a payment rewrites the session, the items stay
    paid = shop.session(s["session_id"])
    assert list(paid["status"]) == ["complete"] and paid["line_items"] == [items]
    plain = shop.create_session()
    assert plain["line_items"] == [] and stored_in(shop, SESSION_LINE_ITEMS, plain["session_id"]) is None
    assert entries(shop, SESSION_LINE_ITEMS) == 1
    listed = ok(shop.owner.merchant.list_checkout_sessions([], []))["sessions"]
    assert [x["line_items"] for x in listed] == [[], [items]]


def test_big_session_takes_the_large_slot_and_pays(shop):
    metadata = [{"key": f"k{i:02d}" + "x" * 37, "value": "v" * 500} for i in range(50)]
    long_url = "https://shop.example.com/" + "p" * 2000
    s = shop.create_session(metadata=metadata, success_url=[long_url], cancel_url=[long_url])
    assert stored_in(shop, SESSIONS_SMALL, s["session_id"]) is None
    assert stored_in(shop, SESSIONS_LARGE, s["session_id"]) > 25_000
    paid = shop.pay_icrc2(shop.alice, s)
    assert "Ok" in paid, paid
    again = shop.session(s["session_id"])
    assert again["metadata"] == metadata and again["success_url"] == long_url
    assert list(again["status"]) == ["complete"]
    # the completion event carries the metadata: a payload over 2 KB takes the large slot
    mid = shop.create_session(metadata=[{"key": f"k{i}", "value": "v" * 500} for i in range(10)])
    assert "Ok" in shop.pay_icrc2(shop.bob, mid)
    small = shop.create_session()
    assert "Ok" in shop.pay_icrc2(shop.bob, small)
    events = ok(shop.owner.merchant.list_events([], [20], ["checkout.session.completed"]))["events"]
    by_object = {e["object_id"]: e["event_id"] for e in events}
    assert stored_in(shop, EVENTS_LARGE, by_object[mid["session_id"]]) > 5_000
    assert stored_in(shop, EVENTS_SMALL, by_object[small["session_id"]]) < 2_000
    assert stored_in(shop, EVENTS_SMALL, by_object[mid["session_id"]]) is None


def test_session_over_every_slot_is_an_err_not_a_trap(shop):
    wide = "\U0001f600"  # 4 bytes in UTF-8: 50 x 540 characters is about 108 KB
    metadata = [{"key": f"{i:02d}" + wide * 38, "value": wide * 500} for i in range(50)]
    res = shop.api.merchant.create_checkout_session_with_options(session_args(PRICE, metadata=metadata))
    err = res[0]["Err"] if isinstance(res, list) else res["Err"]
    assert err.startswith("invalid_argument:") and "bytes" in err
    assert ok(shop.owner.merchant.get_checkout_session_analytics())["total_sessions"] == 0


def _session(rng: random.Random) -> dict:
    def text(n):
        alphabet = "az09-é€\U0001f600"
        return "".join(rng.choice(alphabet) for _ in range(n))

    def opt_text(n):
        return None if rng.random() < 0.3 else text(rng.randint(0, n))

    ledger = Principal.from_str("ryjl3-tyaaa-aaaaa-aaaba-cai")
    options = (
        None
        if rng.random() < 0.5
        else [
            {
                "token": text(rng.randint(1, 10)),
                "ledger_canister_id": ledger,
                "amount": 2**64 - 1,
                "decimals": 255,
                "usd_rate": rng.random() * 1e9,
                "amount_received": 10**30,
            }
            for _ in range(rng.randint(0, 20))
        ]
    )
    return {
        "session_id": text(40),
        "modal_config_id": text(rng.randint(0, 60)),
        "amount": 2**64 - 1,
        "currency_token": text(10),
        "customer_email": opt_text(254),
        "metadata": [
            {"key": text(rng.randint(1, 40)), "value": text(rng.randint(0, 500))} for _ in range(rng.randint(0, 50))
        ],
        "status": {rng.choice(["open", "complete", "expired"]): None},
        "payment_intent_id": opt_text(100),
        "expires_at": 2**64 - 1,
        "created_at": 2**64 - 1,
        "custom_domain": opt_text(253),
        "client_reference_id": opt_text(200),
        "success_url": text(rng.randint(1, 2048)),
        "cancel_url": text(rng.randint(1, 2048)),
        "ledger_canister_id": ledger,
        "payment_account": text(rng.randint(60, 130)),
        "payment_subaccount": bytes(32),
        "amount_received": 10**30,
        "amount_overpaid": 10**30,
        "payer": None if rng.random() < 0.5 else ledger,
        "ledger_block": 10**20,
        "payment_method": opt_text(20),
        "completed_at": 2**64 - 1,
        "price_options": options,
        "line_items": None
        if rng.random() < 0.5
        else [
            {"name": text(rng.randint(1, 100)), "quantity": 2**32 - 1, "unit_amount": 2**64 - 1}
            for _ in range(rng.randint(0, 20))
        ],
        "url": opt_text(260),
    }


def _encoded_size(memory_id: int, value: dict, net_maps) -> int:
    from localnet.runtime.pyvalues import to_candid

    m = net_maps[memory_id]
    return len(binary.encode([m.value_type], to_candid([m.value_type], [value], m.env), m.env))


def test_size_estimates_never_underestimate(shop):
    shop.create_session()  # makes sure the maps exist (all are made at install)
    with shop.server.lock:
        maps = shop.server.network.canisters[Principal.from_str(shop.merchant_id).bytes].stable.maps
        rng = random.Random(7)
        for _ in range(300):
            session = _session(rng)
            stored = merchant_store.stored_session(session)
            assert merchant_store.stored_session_bytes(session) >= _encoded_size(SESSIONS_SMALL, stored, maps)
            items = (
                0 if session["line_items"] is None else _encoded_size(SESSION_LINE_ITEMS, session["line_items"], maps)
            )
            url = 0 if session["url"] is None else len(session["url"].encode()) + 5
            assert merchant_store.session_bytes(session) >= _encoded_size(SESSIONS_SMALL, stored, maps) + items + url
        for _ in range(300):
            event = {
                "event_id": rng.choice(["evt_", "é"]) * rng.randint(1, 40),
                "event_type": "checkout.session.completed",
                "object_id": "\U0001f600" * rng.randint(0, 200),
                "data_json": "€" * rng.randint(0, 4000),
                "created_at": 2**64 - 1,
                "seq": 2**64 - 1,
                "type_seq": 2**64 - 1,
                "deliveries": 2**32 - 1,
            }
            assert service_store.event_bytes(event) >= _encoded_size(EVENTS_LARGE, event, maps)
        for _ in range(300):
            delivery = {
                "delivery_id": "dlv_" + "é" * rng.randint(0, 40),
                "webhook_id": "wh_" * rng.randint(1, 20),
                "event_id": "evt_" + "\U0001f600" * rng.randint(0, 20),
                "status": rng.choice(["pending", "failed"]),
                "attempts": 2**32 - 1,
                "next_attempt_at": 2**64 - 1,
                "created_at": 2**64 - 1,
                "completed_at": rng.choice([None, 2**64 - 1]),
                "last_status_code": rng.choice([None, 2**32 - 1]),
                "last_error": rng.choice([None, "€" * rng.randint(0, 500)]),
            }
            assert service_store.delivery_bytes(delivery) >= _encoded_size(DELIVERIES_LARGE, delivery, maps)
        ledger = Principal.from_str("ryjl3-tyaaa-aaaaa-aaaba-cai")

        def pairs():
            return [
                {"key": "k€" * rng.randint(1, 20), "value": "\U0001f600" * rng.randint(0, 100)}
                for _ in range(rng.randint(0, 20))
            ]

        for _ in range(300):
            profile = {
                "profile_id": "prof_" + "é" * rng.randint(0, 40),
                "principal": ledger,
                "email": rng.choice([None, "€" * rng.randint(1, 254)]),
                "preferred_tokens": ["T€" * rng.randint(1, 10) for _ in range(rng.randint(0, 20))],
                "spending_limits": [
                    {
                        "key": "€" * rng.randint(1, 20),
                        "value": {
                            "max_per_transaction": 2**64 - 1,
                            "max_per_period": 2**64 - 1,
                            "period_seconds": 2**64 - 1,
                        },
                    }
                    for _ in range(rng.randint(0, 20))
                ],
                "auto_approve_under": 2**64 - 1,
                "merchant_specific_settings": pairs(),
                "created_at": 2**64 - 1,
                "last_used": 2**64 - 1,
            }
            assert service_store.profile_bytes(profile) >= _encoded_size(PROFILES_LARGE, profile, maps)
            auth = {
                "auth_id": "auth_" + "é" * rng.randint(0, 40),
                "customer_principal": ledger,
                "max_amount": 2**64 - 1,
                "token_symbol": "€" * rng.randint(1, 20),
                "expires_at": 2**64 - 1,
                "uses_remaining": 2**32 - 1,
                "merchant_specific_data": pairs(),
                "status": "revoked€",
                "created_at": 2**64 - 1,
                "total_charged": 2**64 - 1,
                "charges": 2**32 - 1,
                "in_flight": True,
            }
            assert service_store.auth_bytes(auth) >= _encoded_size(AUTHS_LARGE, auth, maps)
            metadata = pairs()
            assert service_store.metadata_bytes(metadata) >= _encoded_size(PAYMENT_METADATA_LARGE, metadata, maps)


def test_the_largest_metadata_and_its_event_fit_their_slots(shop):
    """50 pairs at the limits, every character 4 bytes in UTF-8 (JSON escapes take 2): the
    one-click payment's metadata and the event that carries it fit their largest slots."""
    import json

    from src.user_payment_canister import merchant_events

    shop.create_session()
    with shop.server.lock:
        maps = shop.server.network.canisters[Principal.from_str(shop.merchant_id).bytes].stable.maps
        for char in ("\U0001f600", '"'):
            metadata = [{"key": char * 40, "value": char * 500} for _ in range(50)]
            metadata = [{"key": str(i).zfill(2) + m["key"][2:], "value": m["value"]} for i, m in enumerate(metadata)]
            assert (
                _encoded_size(PAYMENT_METADATA_LARGE, metadata, maps)
                <= service_store.metadata_bytes(metadata)
                <= 110_000
            )
            data = merchant_events.compact_json(
                {
                    "payment_id": "pay_" + "0" * 32,
                    "auth_id": "pa_" + "0" * 24,
                    "customer": "x" * 63,
                    "amount": 2**64 - 1,
                    "token": "\U0001f600" * 16,
                    "ledger_block": 2**64 - 1,
                    "resumed": True,
                    "metadata": dict((m["key"], m["value"]) for m in metadata),
                }
            )
            assert len(data.encode()) <= merchant_events.MAX_DATA_JSON
            event = {
                "event_id": "evt_" + "0" * 24,
                "event_type": "one_click.charged",
                "object_id": "pay_" + "0" * 32,
                "data_json": data,
                "created_at": 2**64 - 1,
                "seq": 2**64 - 1,
                "type_seq": 2**64 - 1,
                "deliveries": 2**32 - 1,
            }
            assert (
                _encoded_size(EVENTS_XL, event, maps)
                <= service_store.event_bytes(event)
                <= service_store.EVENT_XL_LIMIT
            )
            assert json.loads(data)["metadata"] == dict((m["key"], m["value"]) for m in metadata)


def test_events_older_than_30_days_are_pruned_by_later_events(shop):
    first = [shop.create_session() for _ in range(3)]
    for s in first:
        assert "Ok" in shop.pay_icrc2(shop.alice, s)
    old = ok(shop.owner.merchant.list_events([], [], []))["events"]
    assert len(old) == 3 and entries(shop, EVENTS_SMALL) == 3
    shop.advance(31 * 24 * 3600)
    late = shop.create_session()
    assert "Ok" in shop.pay_icrc2(shop.bob, late)  # its event prunes up to 5 old ones
    (kept,) = ok(shop.owner.merchant.list_events([], [], []))["events"]
    assert kept["object_id"] == late["session_id"]
    assert entries(shop, EVENTS_SMALL) + entries(shop, EVENTS_LARGE) == 1
    assert entries(shop, 41) == 1 and entries(shop, 42) == 1  # the seq and per-type indexes
    assert all(stored_in(shop, EVENTS_SMALL, e["event_id"]) is None for e in old)
